/** The terminal client's words for refusals: of getting through to the PC, and of one call. */
import { OraError } from "@ora/protocol";
import { UserError } from "../errors.js";

export const OFFLINE = "the PC is offline: is its agent running (ora-agent start on that PC)?";

/** Refusals before any call: this device, its relay, the PC's identity. */
export function explainConnection(error: unknown): unknown {
  if (!(error instanceof OraError)) return error;
  const words: Partial<Record<OraError["code"], string>> = {
    unauthorized: "the relay no longer accepts this device (revoked or expired), or cannot be reached: check the relay, or pair again",
    node_offline: OFFLINE,
    handshake_failed: "the PC could not prove its identity: this device may have been removed on the PC; pair again",
  };
  return new UserError(`${words[error.code] ?? error.message} [${error.code}]`, 3);
}

/** Refusals of one call: the same code means different things from different methods, so the message is the refuser's own. */
export function explainCall(error: unknown, method: string): unknown {
  if (!(error instanceof OraError)) return error;
  const words: Partial<Record<OraError["code"], string>> = {
    unauthorized: "the relay no longer accepts this device (revoked or expired): pair again",
    node_offline: "the PC went offline before it answered",
    handshake_failed: "the PC could not prove its identity: this device may have been removed on the PC; pair again",
    tampered: "an answer failed end-to-end verification (something between here and the PC altered it)",
  };
  return new UserError(`${method}: ${words[error.code] ?? error.message} [${error.code}]`, 3);
}
