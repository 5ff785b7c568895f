/**
 * Tools: what this requester may use, and calling one. Both go through the agent's one enforcement
 * point; a call that needs an owner's approval streams a waiting step first.
 */
import * as z from "zod/mini";
import { EVERYONE, method } from "./define.js";
import { ToolInfo } from "./schemas.js";
import { Task } from "./tasks.js";

/**
 * A call either ran (its result is the tool's own, each tool documents it) or is waiting for an
 * owner's approval as a durable task, which runs later and tells its requester.
 */
export const ToolCallResult = z.discriminatedUnion("status", [
  z.object({ status: z.literal("done"), result: z.unknown() }),
  z.object({ status: z.literal("waiting"), task: Task }),
]);
export type ToolCallResult = z.infer<typeof ToolCallResult>;

export const toolMethods = {
  "tools.list": method({
    description: "The tools this device may see, with their risk and whether they need an approval.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ tools: z.array(ToolInfo) }),
  }),
  "tools.call": method({
    description: "Runs a tool through the enforcement point, or, when it needs an owner's approval, answers at once with the waiting task.",
    roles: EVERYONE,
    params: z.object({ name: z.string().check(z.maxLength(200)), args: z.optional(z.unknown()) }),
    result: ToolCallResult,
  }),
};
