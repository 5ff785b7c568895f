/**
 * Pairing frames: how a one-time offer meets its claimant through the relay.
 *
 * A pairing code reads `<nameplate>-<word>-<word>-<word>`. The nameplate is public: the relay uses it
 * to find the offer. The words are the secret: they never leave the two ends (the URL form carries
 * them in the fragment), and the ends prove to each other that they know them with CPace
 * (crypto/pairing.ts). The relay only carries opaque messages between exactly two sockets, and it
 * never learns anything that lets it test a guess offline.
 *
 * Protocol flow
 *
 *   host (the agent's `pair` command) → relay  WebSocket GET /v1/node/pair, Authorization: Bearer ora_node_…
 *   host → relay       {"t":"offer","v":1,"ttl":300}       seconds the offer lives (PAIR_TTL bounds)
 *   relay → host       {"t":"offer","nameplate":"7","expiresAt":1700000000000}
 *   claimant → relay   WebSocket GET /v1/pair/7            no credential: knowing the code is the point
 *   claimant → relay   {"t":"claim","v":1}
 *   relay → both       {"t":"peer"}                        the offer is now taken; it is used at most once
 *   either → relay     {"t":"msg"}\n<payload>               forwarded unchanged to the other end
 *   host → relay       {"t":"done","ok":true|false}        the outcome, for the relay's audit trail;
 *                                                          the relay then burns the offer and closes both
 *   relay → either     {"t":"err","code":"crowded"|"expired"|"not_found"|"rate_limited"|"pairing_failed",…}
 *
 * An offer is burnt when it is claimed and the exchange ends, whatever the outcome, so a wrong code
 * costs the guesser the offer: one guess per code. A second claimant gets `crowded`. Offers expire by
 * the relay's alarm, and vanish when their host disconnects. Claims are rate-limited per nameplate,
 * per Node and per client address.
 */
import * as z from "zod/mini";
import { ERROR_CODES } from "./errors.js";

export const PAIR_TTL = { minSec: 30, defaultSec: 300, maxSec: 3600 } as const;
/** Each end may send at most this many `msg` frames of at most this many bytes. */
export const PAIR_MESSAGE_LIMITS = { count: 8, bytes: 4096 } as const;

/**
 * How the relay closes a pairing socket. Browsers cannot read the status of a refused upgrade, so a
 * refusal is an accepted socket that gets one `err` frame and then one of these (4xxx, next to
 * CloseCode's).
 */
export const PairCloseCode = {
  DONE: 1000, // the host reported the outcome; the offer is burnt
  REFUSED: 4020, // the offer or claim was refused; the err frame says why (not_found, crowded, rate_limited…)
  EXPIRED: 4021, // the offer expired before the exchange ended
  ABORTED: 4022, // the other end went away or broke the message limits; the offer is burnt
} as const;

export const Nameplate = z.string().check(z.regex(/^[1-9][0-9]{0,5}$/));
const Version = z.number().check(z.int(), z.gte(0), z.lte(65535));

/** host → relay */
export const PairHostFrame = z.discriminatedUnion("t", [
  z.object({ t: z.literal("offer"), v: Version, ttl: z.number().check(z.int(), z.gte(PAIR_TTL.minSec), z.lte(PAIR_TTL.maxSec)) }),
  z.object({ t: z.literal("msg") }),
  z.object({ t: z.literal("done"), ok: z.boolean() }),
]);
export type PairHostFrame = z.infer<typeof PairHostFrame>;

/** claimant → relay */
export const PairClaimFrame = z.discriminatedUnion("t", [z.object({ t: z.literal("claim"), v: Version }), z.object({ t: z.literal("msg") })]);
export type PairClaimFrame = z.infer<typeof PairClaimFrame>;

/** relay → host or claimant */
export const RelayToPairFrame = z.discriminatedUnion("t", [
  z.object({ t: z.literal("offer"), nameplate: Nameplate, expiresAt: z.number().check(z.int()) }),
  z.object({ t: z.literal("peer") }),
  z.object({ t: z.literal("msg") }),
  z.object({ t: z.literal("err"), code: z.enum(ERROR_CODES), message: z.string().check(z.maxLength(200)) }),
]);
export type RelayToPairFrame = z.infer<typeof RelayToPairFrame>;
