import type { HandlerContext } from "../handlers.js";
import { userOf } from "../safety/requester.js";
import type { Requester } from "../safety/tool.js";

/** The requester behind a relay request, as the enforcement point sees it. */
export function requesterOf(context: HandlerContext): Requester {
  return {
    device: context.device,
    role: context.role,
    user: userOf(context.device, context.role),
    via: "relay",
    session: context.session,
  };
}
