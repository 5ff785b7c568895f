/**
 * Tools over the relay: list what this requester may use, and call one. Both go through the one
 * enforcement point (safety/registry.ts); a call that needs an owner's approval answers at once
 * with its durable task, which runs when the owner decides (safety/tasks.ts).
 */
import { HandlerError, type Caller, type HandlerRegistry } from "../handlers.js";
import type { CallOutcome, Safety } from "../safety/index.js";
import { ToolError } from "../safety/tool.js";

export function registerToolMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("tools.list", (_params, { requester }) => ({ tools: safety.listTools(requester) }))
    .register("tools.call", ({ name, args }, context) => callTool(safety, context, name, args ?? {}, `direct request from ${describe(context)}`));
}

export interface ToolCallContext extends Caller {
  signal: AbortSignal;
}

/** Runs a tool through the enforcement point; one that needs an approval comes back as its waiting task. */
export async function callTool(safety: Safety, context: ToolCallContext, name: string, args: unknown, origin: string): Promise<CallOutcome> {
  try {
    return await safety.callTool(context.requester, name, args, { origin, signal: context.signal });
  } catch (error) {
    throw asHandlerError(error);
  }
}

/** How an approval names the caller: "Pixel 9 (device d_…)", or "the local CLI". */
export function describe({ requester, name }: Caller): string {
  return requester.via === "local" ? name : `${name} (device ${requester.device})`;
}

/** Tool and approval refusals carry their own stable codes to the client. */
export function asHandlerError(error: unknown): unknown {
  if (error instanceof ToolError) return new HandlerError(error.code === "bad_args" ? "bad_params" : error.code, error.message);
  return error;
}
