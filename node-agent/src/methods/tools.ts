/**
 * Tools over the relay: list what this requester may use, and call one. Both go through the one
 * enforcement point (safety/registry.ts); a call that needs an owner's approval streams a "waiting"
 * step first and finishes when the owner decides.
 */
import { z } from "zod";
import { HandlerError, type HandlerContext, type HandlerRegistry } from "../handlers.js";
import type { Safety } from "../safety/index.js";
import { ToolError } from "../safety/tool.js";
import { requesterOf } from "./requester.js";

export function registerToolMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("tools.list", {
      description: "The tools this device may see, with their risk and whether they need an approval.",
      params: z.unknown(),
      run: (_params, context) => ({ tools: safety.listTools(requesterOf(context)) }),
    })
    .register("tools.call", {
      description: "Runs a tool through the enforcement point; streams a waiting step while an approval is pending.",
      params: z.object({ name: z.string().max(200), args: z.unknown().optional() }),
      run: ({ name, args }, context) => callTool(safety, context, name, args ?? {}, `direct request from ${context.deviceName} (device ${context.device})`),
    });
}

export async function callTool(safety: Safety, context: HandlerContext, name: string, args: unknown, origin: string): Promise<unknown> {
  try {
    return await safety.callTool(requesterOf(context), name, args, {
      origin,
      signal: context.signal,
      onApprovalPending: (approval) =>
        context.emit({ step: "waiting_for_approval", approval: { id: approval.id, tool: approval.tool, risk: approval.risk, expiresAt: approval.expiresAt } }),
    });
  } catch (error) {
    throw asHandlerError(error);
  }
}

/** Tool and approval refusals carry their own stable codes to the client. */
export function asHandlerError(error: unknown): unknown {
  if (error instanceof ToolError) return new HandlerError(error.code === "bad_args" ? "bad_params" : error.code, error.message);
  return error;
}
