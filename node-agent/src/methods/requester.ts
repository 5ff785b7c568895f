import type { HandlerContext } from "../handlers.js";
import type { Requester } from "../safety/tool.js";

/**
 * The requester behind a relay request, as the enforcement point sees it. Owners share one user, so
 * an owner's notes and history follow them from phone to laptop; anyone else is their own device.
 */
export function requesterOf(context: HandlerContext): Requester {
  return {
    device: context.device,
    role: context.role,
    user: context.role === "owner" ? "owner" : context.device,
    via: "relay",
    session: context.session,
  };
}
