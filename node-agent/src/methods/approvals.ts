/**
 * Approvals over the relay: the inbox of an owner (or sub-admin) device and its explicit decisions.
 * A decision is its own request from a paired device's session, never text inside a conversation;
 * the approvals module decides who may decide what. Approval events are pushed to the devices that
 * may decide them, sealed per session.
 */
import { z } from "zod";
import type { PairedDevice } from "../secure/paired-devices.js";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { ApprovalError, type ApprovalEvent, type Safety } from "../safety/index.js";
import { requesterOf } from "./requester.js";

export function registerApprovalMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("approvals.list", {
      description: "Pending approvals this device may decide (with the one-time code on owner devices).",
      params: z.unknown(),
      run: (_params, context) => ({ approvals: context.role === "guest" ? [] : safety.approvals.list(requesterOf(context)) }),
    })
    .register("approvals.decide", {
      description: "Approves or denies one approval; CRITICAL approvals need the one-time code.",
      params: z.object({ id: z.string().max(64), verdict: z.enum(["approve", "deny"]), code: z.string().max(16).optional() }),
      run: ({ id, verdict, code }, context) => {
        try {
          return { status: safety.approvals.decide(id, { verdict, ...(code === undefined ? {} : { code }) }, requesterOf(context)) };
        } catch (error) {
          if (error instanceof ApprovalError) throw new HandlerError(error.code, error.message);
          throw error;
        }
      },
    });
}

/** Which paired devices hear about an approval: the ones that could decide it. */
export function mayDecide(device: PairedDevice, event: ApprovalEvent): boolean {
  if (device.role === "owner") return true;
  return device.role === "sub-admin" && event.approval.risk === "HIGH" && event.approval.requester.device !== device.id;
}
