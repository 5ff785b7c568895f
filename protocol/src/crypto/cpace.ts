/**
 * CPace (draft-irtf-cfrg-cpace-21), cipher suite CPACE-RISTR255-SHA512.
 *
 * Why: pairing a device with the agent goes through a relay we do not trust, and the only shared
 * secret is a short pairing code. A balanced PAKE turns that low-entropy code (the PRS) into a
 * strong shared key (the ISK) so that neither the relay nor a passive observer can run an offline
 * dictionary attack on it: each password guess costs one online run with a party.
 *
 * What follows the draft:
 * - Section 7.2: Y = scalar_mult(y, g); K = scalar_mult_vfy(y, Y_peer), abort if K is the identity;
 *   ISK = SHA-512(lv_cat(DSI || "_ISK", sid, K) || transcript(Ya, ADa, Yb, ADb)).
 * - Section 8.1: generator_string with the zero padding that fills SHA-512's first 128-byte block.
 * - Section 8.3 (G_Ristretto255): DSI "CPaceRistretto255"; g = element_derivation(SHA-512(
 *   generator_string)) (RFC 9496); scalars are 32 random bytes with the bits above
 *   group_size_bits (252) cleared; scalar_mult_vfy = decode, multiply, encode, a failed decode
 *   counting as the identity.
 * - Sections 6.3 and A.3: transcript_ir = lv_cat(Ya, ADa) || lv_cat(Yb, ADb) when the initiator
 *   speaks first; transcript_oc = o_cat(lv_cat(Ya, ADa), lv_cat(Yb, ADb)) = "oc" || larger || smaller
 *   for the symmetric setting. A party's network message is its half of the transcript,
 *   lv_cat(Y, AD), so the receiver parses exactly the bytes that both sides hash.
 * - Section 10.3: K never leaves this module; only the ISK does.
 *
 * The ISK is "intermediate": derive application keys from it with a KDF, and confirm it (e.g. a MAC
 * over the transcript, section 10.4) before trusting the peer. All group and hash work is
 * @noble/curves and @noble/hashes; this module only encodes, parses and composes.
 */
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes, isBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";

/** Inputs one party brings to a CPace run. */
export interface CpaceInputs {
  /** Password-related string (the secret part of the pairing code). Must not be empty. */
  prs: Uint8Array;
  /** Channel identifier, public; both parties must use the same bytes (may be empty). */
  ci: Uint8Array;
  /** Session identifier, public; both parties must use the same bytes (may be empty; 8+ bytes advised). */
  sid: Uint8Array;
  /** This party's associated data, sent in clear inside its message (may be empty). */
  ad: Uint8Array;
}

/** One party's side of a run: send `message`, then call `finish` once with the peer's message. */
export interface CpaceState {
  /** The network message to send: lv_cat(Y, AD), this party's half of the transcript. */
  readonly message: Uint8Array;
  /**
   * Derives the 64-byte ISK from the peer's message. Throws CpaceError if the message is malformed
   * or carries an invalid or identity point. The state is single use: whatever the outcome, a
   * second call throws, because the secret scalar must never serve two exchanges.
   */
  finish(peerMessage: Uint8Array): Uint8Array;
}

/** Any refusal by this module: bad inputs, malformed or invalid peer messages, misuse of a state. */
export class CpaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CpaceError";
  }
}

type RistrettoPoint = InstanceType<typeof ristretto255.Point>;

const Point = ristretto255.Point;
const GROUP_ORDER = Point.Fn.ORDER;
const DSI = utf8ToBytes("CPaceRistretto255");
const DSI_ISK = utf8ToBytes("CPaceRistretto255_ISK");
const OC = utf8ToBytes("oc");
/** SHA-512 input block size (H.s_in_bytes). */
const HASH_BLOCK_BYTES = 128;
const POINT_BYTES = 32;
const SCALAR_BYTES = 32;
/** The draft's LEB128 lengths; 4 bytes already allow 256 MiB, far beyond any CPace field. */
const MAX_LENGTH_BYTES = 4;

/** prepend_len: the LEB128 encoding of the length, then the bytes. */
function prependLen(data: Uint8Array): Uint8Array {
  const prefix: number[] = [];
  let length = data.length;
  do {
    const low = length & 0x7f;
    length = Math.floor(length / 128);
    prefix.push(length > 0 ? low | 0x80 : low);
  } while (length > 0);
  return concatBytes(Uint8Array.from(prefix), data);
}

/** lv_cat(a0, a1, ...) = prepend_len(a0) || prepend_len(a1) || ... (draft section 6.3, A.1.3). */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  for (const part of parts) requireBytes(part, "lv_cat argument");
  return concatBytes(...parts.map(prependLen));
}

/**
 * generator_string(DSI, PRS, CI, sid, 128): lv_cat(DSI, PRS, zero_bytes(len_zpad), CI, sid),
 * where the zero padding makes DSI and PRS fill the first SHA-512 block.
 */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  requirePrs(prs);
  requireBytes(ci, "ci");
  requireBytes(sid, "sid");
  const zpad = Math.max(0, HASH_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

function generatorPoint(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): RistrettoPoint {
  if (ristretto255_hasher.deriveToCurve === undefined) {
    throw new CpaceError("this @noble/curves build has no ristretto255 element derivation");
  }
  return ristretto255_hasher.deriveToCurve(sha512(generatorString(prs, ci, sid)));
}

/**
 * calculate_generator(SHA-512, PRS, CI, sid), returned in its public 32-byte encoding. Like
 * lvCat, generatorString and scalarMultVfy, it is exported so the building blocks can be checked
 * against the draft's vectors; applications only need cpaceInitiator / cpaceResponder.
 */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  return generatorPoint(prs, ci, sid).toBytes();
}

/**
 * scalar_mult_vfy(y, X): decodes X, multiplies it by the 32-byte little-endian scalar y and
 * returns the encoding of the product. Returns the identity encoding (32 zero bytes, G.I) when X
 * does not decode, exactly as the draft specifies; callers must abort on that result.
 */
export function scalarMultVfy(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  const y = decodeScalar(scalar);
  requireBytes(point, "point");
  let decoded: RistrettoPoint;
  try {
    decoded = Point.fromBytes(point);
  } catch {
    return Point.ZERO.toBytes();
  }
  return decoded.multiply(y).toBytes();
}

/**
 * Begins a run as the initiator (party A, whose message comes first in the transcript).
 * `scalar` (32 bytes, little-endian, 1 <= y < group order) pins ya for test vectors; leave it
 * out everywhere else so that a fresh random scalar is drawn.
 */
export function cpaceInitiator(inputs: CpaceInputs, scalar?: Uint8Array): CpaceState {
  return start("initiator", inputs, scalar);
}

/** Begins a run as the responder (party B, whose message comes second in the transcript). `scalar`: as for cpaceInitiator. */
export function cpaceResponder(inputs: CpaceInputs, scalar?: Uint8Array): CpaceState {
  return start("responder", inputs, scalar);
}

/**
 * Begins a run for the symmetric setting, where neither side is the initiator and messages may
 * cross: the transcript is transcript_oc. Both parties must use this mode, and the draft requires
 * ADa and ADb to be unique per session in it (section 10.1.1); otherwise prefer the
 * initiator-responder pair.
 */
export function cpaceSymmetric(inputs: CpaceInputs, scalar?: Uint8Array): CpaceState {
  return start("symmetric", inputs, scalar);
}

type Role = "initiator" | "responder" | "symmetric";

function start(role: Role, inputs: CpaceInputs, scalar: Uint8Array | undefined): CpaceState {
  if (typeof inputs !== "object" || inputs === null) throw new CpaceError("inputs must be an object");
  const { prs, ci, sid, ad } = inputs;
  requireBytes(ad, "ad");
  let y: bigint | undefined = scalar === undefined ? sampleScalar() : decodeScalar(scalar);
  const g = generatorPoint(prs, ci, sid);
  const ownMessage = lvCat(g.multiply(y).toBytes(), ad);
  const sidCopy = Uint8Array.from(sid);
  return {
    message: ownMessage.slice(),
    finish(peerMessage: Uint8Array): Uint8Array {
      if (y === undefined) throw new CpaceError("this CPace state has already been used; start a new run");
      const secret = y;
      y = undefined;
      const peerY = parseMessage(peerMessage);
      let peer: RistrettoPoint;
      try {
        peer = Point.fromBytes(peerY);
      } catch {
        throw new CpaceError("peer's share is not a canonical ristretto255 encoding");
      }
      const k = peer.multiply(secret);
      if (k.is0()) throw new CpaceError("peer's share is the identity element");
      const transcript =
        role === "initiator"
          ? concatBytes(ownMessage, peerMessage)
          : role === "responder"
            ? concatBytes(peerMessage, ownMessage)
            : oCat(ownMessage, peerMessage);
      const input = concatBytes(lvCat(DSI_ISK, sidCopy, k.toBytes()), transcript);
      const isk = sha512(input);
      input.fill(0);
      return isk;
    },
  };
}

/** G.sample_scalar(): 32 random bytes with the bits above 252 cleared, so always below the group order. */
function sampleScalar(): bigint {
  for (;;) {
    const bytes = randomBytes(SCALAR_BYTES);
    bytes[SCALAR_BYTES - 1] = (bytes[SCALAR_BYTES - 1] ?? 0) & 0x0f;
    const y = littleEndian(bytes);
    bytes.fill(0);
    if (y !== 0n) return y;
  }
}

function decodeScalar(scalar: Uint8Array): bigint {
  requireBytes(scalar, "scalar");
  if (scalar.length !== SCALAR_BYTES) throw new CpaceError(`scalar must be ${SCALAR_BYTES} bytes, got ${scalar.length}`);
  const y = littleEndian(scalar);
  if (y === 0n || y >= GROUP_ORDER) throw new CpaceError("scalar must be between 1 and the group order - 1");
  return y;
}

function littleEndian(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

/** Parses lv_cat(Y, AD) and returns Y; the AD may be any length, nothing may follow it. */
function parseMessage(message: Uint8Array): Uint8Array {
  requireBytes(message, "peer message");
  const first = readField(message, 0, "share");
  const second = readField(message, first.end, "associated data");
  if (second.end !== message.length) throw new CpaceError("peer message has bytes after its last field");
  if (first.end - first.start !== POINT_BYTES) {
    throw new CpaceError(`peer's share must be ${POINT_BYTES} bytes, got ${first.end - first.start}`);
  }
  return message.subarray(first.start, first.end);
}

function readField(message: Uint8Array, offset: number, name: string): { start: number; end: number } {
  let length = 0;
  let scale = 1;
  let i = offset;
  for (;;) {
    const byte = message[i];
    if (byte === undefined) throw new CpaceError(`peer message ends inside the length of its ${name}`);
    i++;
    length += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i - offset > 1) throw new CpaceError(`peer message has a non-minimal length for its ${name}`);
      break;
    }
    if (i - offset >= MAX_LENGTH_BYTES) throw new CpaceError(`peer message has an oversized length for its ${name}`);
    scale *= 128;
  }
  if (length > message.length - i) throw new CpaceError(`peer message is shorter than the length of its ${name}`);
  return { start: i, end: i + length };
}

/** o_cat(a, b) = "oc" || the lexicographically larger string || the other (a prefix counts as smaller). */
function oCat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return lexicographicallyLarger(a, b) ? concatBytes(OC, a, b) : concatBytes(OC, b, a);
}

function lexicographicallyLarger(a: Uint8Array, b: Uint8Array): boolean {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const x = a[i] ?? 0;
    const z = b[i] ?? 0;
    if (x !== z) return x > z;
  }
  return a.length > b.length;
}

function requireBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!isBytes(value)) throw new CpaceError(`${name} must be a Uint8Array`);
}

function requirePrs(prs: unknown): asserts prs is Uint8Array {
  requireBytes(prs, "prs");
  if (prs.length === 0) throw new CpaceError("prs must not be empty");
}
