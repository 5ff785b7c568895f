/** What the relay says about itself in a handshake: the protocol versions it speaks and its limits. */
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, type Limits } from "@ora/protocol";

/** Why a hello or pairing handshake's version is refused, or null when the relay speaks it. */
export function versionProblem(version: number): string | null {
  if (version >= MIN_PROTOCOL_VERSION && version <= PROTOCOL_VERSION) return null;
  return `protocol version ${version} is not supported; this relay speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`;
}

/**
 * The limits a welcome announces, field by field: the relay's configuration holds more (deadlines,
 * rate limits) than peers may see, and a setting added there must not reach them unless listed here.
 */
export function announcedLimits(config: Limits): Limits {
  return {
    maxPending: config.maxPending,
    maxPendingPerSession: config.maxPendingPerSession,
    timeoutSec: config.timeoutSec,
    streamMaxSec: config.streamMaxSec,
    maxMessageBytes: config.maxMessageBytes,
    windowBytes: config.windowBytes,
  };
}
