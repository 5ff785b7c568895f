import * as z from "zod/mini";

/**
 * One enum of stable error codes for everything the relay (and the HTTP API) can refuse. Codes are
 * the contract; messages are for people and may change.
 */
export const ERROR_CODES = [
  "bad_frame", // the frame is not valid for this protocol (JSON, types, sizes, unknown type)
  "hello_required", // a frame other than hello arrived before the hello
  "unauthorized", // missing, malformed, unknown, expired or revoked credential
  "forbidden", // authenticated, but not allowed to do this
  "upgrade_required", // the peer speaks a protocol version the relay does not support, or is an agent older than ORA_AGENT_MINIMUM
  "id_in_use", // the request id is already pending in this session
  "pending_limit", // too many requests pending for this Node or this session
  "session_limit", // the Node holds as many open sessions as the relay allows (ORA_RELAY_MAX_SESSIONS); try again later
  "too_large", // the frame exceeds ORA_RELAY_MAX_MESSAGE_BYTES
  "timeout", // the agent did not answer (or went idle mid-stream) in time
  "node_offline", // the agent is not connected, or went away while the request was pending
  "cancelled", // the client cancelled the request
  "slow_consumer", // the client did not keep up with the stream (flow window exhausted)
  "rate_limited", // too many attempts; try later
  "not_found", // no such route, device, node or pairing nameplate
  "crowded", // the pairing offer was already claimed by someone else
  "expired", // the pairing offer (or credential) has expired
  "pairing_failed", // the pairing's key confirmation failed: the code was wrong; the offer is burnt
  "bad_request", // an HTTP request with invalid input
  "internal", // something failed inside the relay; details stay in the relay
  "locked_down", // the owner put the Node in lockdown: no sessions but the kept device's, no pairing
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The agent's refusals, inside a sealed answer (payload.ts): the relay never sees these. Where a code
 * means the same as a relay code (timeout, too_large…) it has the same name.
 */
export const APP_ERROR_CODES = [
  "unknown_method",
  "bad_params",
  "failed",
  "cancelled",
  // the agent's policy and tools
  "denied", // the enforcement point refused: role, profile, risk or allowlist, or an approval said no
  "not_found", // no such tool (or one this requester may not see), or no such approval
  "rate_limited",
  "too_large",
  "timeout",
  // deciding approvals
  "forbidden", // this device may not decide this approval
  "not_pending", // already decided, used or expired
  "code_required", // CRITICAL: the one-time code is missing
  "wrong_code",
  "locked_out", // too many wrong codes: wait
  "passkey_required", // approving this from a device needs a passkey assertion (a code works only at the PC)
  "passkey_refused", // the passkey assertion did not verify: wrong challenge, replayed, no user verification, another device's
  "locked_down", // the PC is in lockdown: HIGH and CRITICAL calls are refused until the owner unlocks it
  "conflict", // a file changed while it was being downloaded, or an upload piece is not where the upload stands
  "checksum_mismatch", // the bytes that arrived do not have the SHA-256 the transfer announced
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** Failures only the client library can see: the agent's end of the encryption or the catalogue did not hold up. */
export const CLIENT_ERROR_CODES = [
  "tampered", // an answer failed end-to-end verification
  "handshake_failed", // the other end could not prove it is this device's PC
  "bad_answer", // an answer, chunk or push that does not match the method catalogue
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** Every code a client can be handed: the relay's, the agent's and its own. Clients word each one. */
export type AnyErrorCode = ErrorCode | AppErrorCode | ClientErrorCode;

/** Why the relay cancels a request towards the agent. */
export const CANCEL_REASONS = ["cancelled", "timeout", "client_gone", "slow_consumer", "revoked"] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/**
 * Named WebSocket close codes. 1xxx are RFC 6455; 4xxx are ORA's own (the private-use range).
 * A peer that sees one of the 4xxx codes knows why without parsing the reason text.
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  BAD_DATA: 1007, // a frame that cannot be interpreted (e.g. binary where text is expected)
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  UNAUTHORIZED: 4001, // credential no longer valid
  REVOKED: 4003, // the device's credential was revoked while connected
  HELLO_TIMEOUT: 4008, // no hello within the handshake deadline
  REPLACED: 4009, // a newer connection of the same Node took over
  UPGRADE_REQUIRED: 4010, // protocol version or agent release not supported: an agent stops instead of retrying
  TOO_MANY_BAD_FRAMES: 4011, // the peer kept sending invalid frames
  LOCKED_DOWN: 4012, // the owner put the Node in lockdown: this device's session ended and may not open again until unlock
  TRY_AGAIN_LATER: 1013, // RFC 6455: the Node holds as many sessions as it may (session_limit); reconnect later
} as const;

export type CloseCodeName = keyof typeof CloseCode;

/** Every HTTP refusal's body (frames carry the same two fields in their `err`). */
export const ErrorBody = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Why a typed code or link was refused, for clients that word it in their own language. */
export const PAIRING_CODE_REASONS = ["bad_link", "no_code", "no_nameplate", "no_words", "word_count", "unknown_word"] as const;
export type PairingCodeReason = (typeof PAIRING_CODE_REASONS)[number];

/** A pairing code or link that cannot be read (here, not in pairing-code.ts, so that recognising one does not load the word list). */
export class PairingCodeError extends Error {
  constructor(
    message: string,
    readonly reason: PairingCodeReason,
    /** The word that is not a code word (reason "unknown_word"). */
    readonly word?: string,
  ) {
    super(message);
    this.name = "PairingCodeError";
  }
}
