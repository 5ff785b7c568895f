/**
 * Tools: what this requester may use, and calling one. Both go through the agent's one enforcement
 * point; a call that needs an owner's approval streams a waiting step first.
 */
import { z } from "zod";
import { EVERYONE, method } from "./define.js";
import { ApprovalWait, ToolInfo } from "./schemas.js";

export const toolMethods = {
  "tools.list": method({
    description: "The tools this device may see, with their risk and whether they need an approval.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ tools: z.array(ToolInfo) }),
  }),
  "tools.call": method({
    description: "Runs a tool through the enforcement point; streams a waiting step while an approval is pending.",
    roles: EVERYONE,
    params: z.object({ name: z.string().max(200), args: z.unknown().optional() }),
    chunk: ApprovalWait,
    /** Whatever the tool returns; each tool documents its own result. */
    result: z.unknown(),
  }),
};
