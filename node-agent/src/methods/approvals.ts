/**
 * Approvals: the inbox of an owner (or sub-admin) device and its explicit decisions, and the same
 * methods for the PC's own command line through the control socket. A decision is its own request,
 * never text inside a conversation; the approvals module decides who may decide what. Approval
 * events are pushed to the devices that may decide them, sealed per session.
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import type { Passkeys } from "../passkeys/index.js";
import type { PairedDevice } from "../secure/paired-devices.js";
import { ApprovalError, type ApprovalEvent, type PasskeyProof, type Safety } from "../safety/index.js";
import { typed } from "./passkeys.js";
import { approveAlways } from "./rules.js";

/** Without `passkeys` (no relay to name the relying party) a device's assertion is never accepted. */
export function registerApprovalMethods(registry: HandlerRegistry, safety: Safety, passkeys?: Passkeys): void {
  registry
    .register("approvals.list", (_params, { requester }) => ({ approvals: safety.approvals.list(requester) }))
    .register("approvals.decide", async ({ id, verdict, code, assertion, always }, { requester }) => {
      let passkey: PasskeyProof | undefined;
      // The assertion is checked (and its challenge used up) before the decision can count.
      if (assertion !== undefined && verdict === "approve") {
        if (!passkeys) throw new HandlerError("passkey_refused", "this PC does not take passkeys here");
        const confirmed = await typed(() => passkeys.verify(requester, { purpose: "approve", approval: id }, assertion));
        if (confirmed.purpose === "approve") passkey = confirmed;
      }
      if (always !== undefined) return approveAlways(safety, id, verdict, always, requester, passkey);
      try {
        return { id, status: safety.approvals.decide(id, { verdict, ...(code === undefined ? {} : { code }), ...(passkey ? { passkey } : {}) }, requester) };
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
