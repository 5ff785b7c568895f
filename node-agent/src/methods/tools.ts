/**
 * Tools over the relay: list what this requester may use, and call one. Both go through the one
 * enforcement point (safety/registry.ts); a call that needs an owner's approval streams a "waiting"
 * step first and finishes when the owner decides.
 */
import type { ApprovalWait } from "@ora/protocol";
import { HandlerError, type Caller, type HandlerRegistry } from "../handlers.js";
import type { Safety } from "../safety/index.js";
import { ToolError } from "../safety/tool.js";

export function registerToolMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("tools.list", (_params, { requester }) => ({ tools: safety.listTools(requester) }))
    .register("tools.call", ({ name, args }, context) => callTool(safety, context, name, args ?? {}, `direct request from ${describe(context)}`));
}

export interface ToolCallContext extends Caller {
  signal: AbortSignal;
  emit(step: ApprovalWait): void;
}

export async function callTool(safety: Safety, context: ToolCallContext, name: string, args: unknown, origin: string): Promise<unknown> {
  try {
    return await safety.callTool(context.requester, name, args, {
      origin,
      signal: context.signal,
      onApprovalPending: (approval) =>
        context.emit({ step: "waiting_for_approval", approval: { id: approval.id, tool: approval.tool, risk: approval.risk, expiresAt: approval.expiresAt } }),
    });
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
