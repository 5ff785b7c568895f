/**
 * Approvals: the inbox of an owner (or sub-admin) device and its explicit decisions, and the same
 * methods for the PC's own command line through the control socket. A decision is its own request,
 * never text inside a conversation; the approvals module decides who may decide what. Approval
 * events are pushed to the devices that may decide them, sealed per session.
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import type { PairedDevice } from "../secure/paired-devices.js";
import { ApprovalError, type ApprovalEvent, type Safety } from "../safety/index.js";
import { approveAlways } from "./rules.js";

export function registerApprovalMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("approvals.list", (_params, { requester }) => ({ approvals: safety.approvals.list(requester) }))
    .register("approvals.decide", ({ id, verdict, code, always }, { requester }) => {
      if (always !== undefined) return approveAlways(safety, id, verdict, always, requester);
      try {
        return { id, status: safety.approvals.decide(id, { verdict, ...(code === undefined ? {} : { code }) }, requester) };
      } catch (error) {
        if (error instanceof ApprovalError) throw new HandlerError(error.code, error.message);
        throw error;
      }
    });
}

/** Which paired devices hear about an approval: the ones that could decide it. */
export function mayDecide(device: PairedDevice, event: ApprovalEvent): boolean {
  if (device.role === "owner") return true;
  return device.role === "sub-admin" && event.approval.risk === "HIGH" && event.approval.requester.device !== device.id;
}
