/**
 * Bump PROTOCOL_VERSION when a frame changes meaning or a peer of the previous version could no longer
 * talk to this one. Adding an optional header key does not need a bump: unknown keys are ignored.
 * The relay accepts hellos from MIN_PROTOCOL_VERSION to PROTOCOL_VERSION and answers anything else
 * with `upgrade_required` and close code UPGRADE_REQUIRED.
 */
export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

/** The WebSocket subprotocol every peer offers; the relay echoes it back. */
export const SUBPROTOCOL = "ora.v1";

/**
 * Browsers cannot set headers on a WebSocket, so a client may carry its credential as a second offered
 * subprotocol, `ora.bearer.<credential>`. The relay never echoes it back and never logs it.
 */
export const BEARER_SUBPROTOCOL_PREFIX = "ora.bearer.";
