/**
 * Every failure code the relay, the agent or the client library can report, as a sentence a person
 * understands. Codes are the contract (protocol/src/errors.ts, payload.ts); these words are ours.
 */
import { type AnyErrorCode, OraError, PairingCodeError } from "@ora/protocol";

/** One sentence for every code (a code without words here does not compile). */
const SENTENCES: Record<AnyErrorCode, string> = {
  bad_frame: "Something sent a message this app does not understand. Reload the page and try again.",
  hello_required: "The connection was not set up properly. Reload the page.",
  unauthorized: "The relay no longer accepts this device. It may have been removed; pair it again.",
  forbidden: "This device is not allowed to do that.",
  upgrade_required: "This app is older than the relay. Reload the page to get the new version.",
  id_in_use: "That request is already on its way.",
  pending_limit: "Too many requests are waiting. Give the PC a moment and try again.",
  too_large: "That is too large to send.",
  timeout: "Your PC did not answer in time.",
  node_offline: "Your PC is not connected right now. Once it is online again, try again.",
  cancelled: "Stopped.",
  slow_consumer: "The answer came faster than this device could take it. Try again.",
  rate_limited: "Too many attempts. Wait a little and try again.",
  not_found: "Not found. It may have expired or been removed.",
  crowded: "Someone else already used this pairing code. For your safety it cannot be used again: make a new one on the PC.",
  expired: "This pairing code has expired. Make a new one on the PC (ora-agent pair).",
  pairing_failed: "Pairing failed: the code was wrong, so it is now used up. Make a new one on the PC and type it carefully.",
  bad_request: "The request was not valid.",
  internal: "Something went wrong inside the relay. Try again later.",
  unknown_method: "Your PC's agent does not offer this yet. It may need an update.",
  bad_params: "The PC did not accept what was sent.",
  failed: "Your PC could not do that.",
  denied: "Your PC's rules do not allow that.",
  not_pending: "That approval was already decided or has expired.",
  code_required: "This approval needs its one-time code.",
  wrong_code: "That code is wrong.",
  locked_out: "Too many wrong codes. Wait a few minutes before trying again.",
  passkey_required: "Approving this from a device needs this device's passkey (Settings → Passkey for approvals), or approve it at the PC.",
  passkey_refused: "The PC did not accept the passkey. Nothing was approved; try again.",
  locked_down: "Your PC is in lockdown: risky actions, new pairings and other devices are blocked until the owner unlocks it at the PC.",
  tampered: "An answer failed its end-to-end check and was dropped. Something between you and your PC may be interfering.",
  handshake_failed: "Could not prove that the other end is your PC. Something may be interfering; do not trust this connection.",
  bad_answer: "Your PC answered in a way this app does not understand. Reload the page; if it persists, update ORA on the PC.",
};

/** A sentence for any error; an agent's own message is kept when it adds detail. */
export function explain(error: unknown): string {
  if (error instanceof PairingCodeError) return `That code does not look right: ${error.message}.`;
  if (!(error instanceof OraError)) return "Something unexpected went wrong. Reload the page and try again.";
  // The PC's refusal arrives sealed from the PC itself (pair-client.ts); the relay's own pairing_failed covers both.
  if (error.code === "pairing_failed" && /owner declined/.test(error.message)) return "The PC's owner declined this pairing.";
  const sentence = SENTENCES[error.code];
  // The agent's messages (why a tool was refused, which file was missing) are written for people.
  const detail = ["denied", "failed", "bad_params", "not_found", "forbidden", "wrong_code", "locked_out"].includes(error.code) ? error.message : "";
  return detail ? `${sentence} (${detail})` : sentence;
}
