/**
 * End-to-end encryption between a paired device and its agent. The relay carries these bytes and
 * can read none of them. This file holds the secure channel's framing (SecureChannel) and the
 * handshake's version 1; clients now send version 2, Noise KK (crypto/session-v2.ts), and agents
 * accept version 1 until V1_ACCEPTED_UNTIL (docs/PROTOCOL.md, "Versions").
 *
 * Handshake version 1 (one round trip at the start of every client session, carried as the session's first
 * request; both sides already hold each other's long-term X25519 keys from pairing):
 *
 *   device → agent  {"e2e":1,"dev":"<device id>","e":"<ephemeral public key Ec>"}
 *   agent → device  {"e2e":1,"e":"<ephemeral public key Ea>","c":"<sealed confirmation>"}
 *
 *   ikm  = DH(ec, Ea) ‖ DH(ec, Sa) ‖ DH(sc, Ea)        (sc/Sa: device's / agent's long-term keys)
 *   salt = SHA-256("ora e2e v1" ‖ dev ‖ Sc ‖ Sa ‖ Ec ‖ Ea)
 *   keys = HKDF-SHA-256(ikm, salt, "ora e2e v1 keys", 64) → device→agent key ‖ agent→device key
 *
 * The ephemeral-ephemeral term gives forward secrecy: once both forget ec and ea, recorded traffic
 * stays sealed even if a long-term key leaks later. The two mixed terms authenticate both ends: only
 * the holder of sc can derive the keys for device `dev`, and only the holder of sa can produce the
 * confirmation, so a relay in the middle can neither read nor stand in for either end.
 *
 * Sealed payloads are seq ‖ XChaCha20-Poly1305(key, nonce = 0¹⁶ ‖ seq, JSON) (JSON and any raw bytes
 * after it: crypto/plaintext.ts), as raw bytes in a binary
 * data frame and as their base64url in a text one (frames.ts), with seq a 64-bit big-endian counter
 * per direction (0 is the handshake's confirmation). A receiver accepts only a seq greater than every
 * seq it has accepted: a replayed, reordered or dropped-and-reinjected frame fails, and a frame from
 * another session fails authentication under that session's keys. Gaps are allowed because the relay
 * legitimately refuses some requests (pending_limit, too_large) without forwarding them.
 *
 * The labels and the handshake's `e2e` key are part of the wire and of the derived keys: they keep
 * their names although the code calls this layer the secure channel.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import * as z from "zod/mini";
import { fromBase64Url, toBase64Url } from "../encoding.js";
import { sessionAead, type SessionAead } from "./aead.js";
import { decodePlaintext, encodePlaintext } from "./plaintext.js";
import { dh, generateKeyPair, KEY_BYTES, type StaticKey } from "./keys.js";

const V1 = 1;
const LABEL = utf8ToBytes("ora e2e v1");
const KEYS_INFO = utf8ToBytes("ora e2e v1 keys");
const CONFIRMATION = "ora e2e v1 ready";
const SEQ_BYTES = 8;
const TAG_BYTES = 16;

export class SecureChannelError extends Error {
  constructor(
    readonly reason: "bad_handshake" | "tampered" | "replayed",
    message: string,
  ) {
    super(message);
    this.name = "SecureChannelError";
  }
}

const Key = z.string().check(z.regex(/^[A-Za-z0-9_-]{43}$/));
export const HandshakeHello = z.object({ e2e: z.literal(V1), dev: z.string().check(z.minLength(1), z.maxLength(64)), e: Key });
export type HandshakeHello = z.infer<typeof HandshakeHello>;
export const HandshakeAnswer = z.object({ e2e: z.literal(V1), e: Key, c: z.string().check(z.maxLength(200)) });
export type HandshakeAnswer = z.infer<typeof HandshakeAnswer>;

/** One direction-pair of a session: seals what this end sends, opens what the other end sent. */
export class SecureChannel {
  private sent = 0;
  private received = 0;
  private readonly sender: SessionAead;
  private readonly receiver: SessionAead;

  constructor(sendKey: Uint8Array, receiveKey: Uint8Array) {
    this.sender = sessionAead(sendKey);
    this.receiver = sessionAead(receiveKey);
  }

  /** Seals a JSON value; returns the payload text (base64url of sealBytes' bytes) and the seq it carries. */
  seal(message: unknown): { payload: string; seq: number } {
    const { bytes, seq } = this.sealBytes(message);
    return { payload: toBase64Url(bytes), seq };
  }

  /**
   * Seals a JSON value as bytes, seq ‖ ciphertext ‖ tag: what a binary data frame carries as is.
   * With `headroom`, that many bytes come free before them, where the caller puts the frame's header
   * (binaryFrameHead) instead of copying the sealed bytes into a frame.
   */
  sealBytes(message: unknown, headroom = 0): { bytes: Uint8Array; seq: number } {
    const seq = ++this.sent;
    return { bytes: sealWith(this.sender, seq, message, headroom), seq };
  }

  /** Opens a sealed payload; throws SecureChannelError for anything tampered, replayed or out of order. */
  open(payload: string): { seq: number; message: unknown } {
    return this.openBytes(sealedBytesOf(payload));
  }

  /** open() for the bytes themselves (a binary data frame's payload). */
  openBytes(bytes: Uint8Array): { seq: number; message: unknown } {
    const opened = openWith(this.receiver, bytes);
    if (opened.seq <= this.received) throw new SecureChannelError("replayed", "a sealed frame arrived again or out of order");
    this.received = opened.seq;
    return opened;
  }
}

/**
 * Agents accept a version 1 hello until this instant (six months after version 2 shipped) and refuse
 * it from then on, telling the device to update.
 */
export const V1_ACCEPTED_UNTIL = Date.parse("2027-06-01T00:00:00Z");

/**
 * What an agent answers, in clear, to a session's first payload that is no hello it knows: a request
 * before any handshake, or a hello of a version it does not speak. Agents have answered exactly this
 * since version 1, so a client reads it, in answer to its hello, as "this agent predates that version".
 */
export const NO_SESSION_MESSAGE = "no end-to-end session: handshake first";

/** The device's side: start with `hello`, finish with the agent's answer. */
export function beginHandshake(options: { device: string; deviceKey: StaticKey; agentPublicKey: Uint8Array }) {
  const ephemeral = generateKeyPair();
  const hello: HandshakeHello = { e2e: V1, dev: options.device, e: toBase64Url(ephemeral.publicKey) };
  return {
    hello,
    async finish(raw: unknown): Promise<SecureChannel> {
      const answer = HandshakeAnswer.safeParse(raw);
      if (!answer.success) throw new SecureChannelError("bad_handshake", "the agent's handshake answer is malformed");
      const agentEphemeral = decodeKey(answer.data.e);
      const ikm = concatBytes(
        dh(ephemeral.secretKey, agentEphemeral),
        dh(ephemeral.secretKey, options.agentPublicKey),
        await options.deviceKey.dh(agentEphemeral),
      );
      const keys = deriveKeys(ikm, options.device, options.deviceKey.publicKey, options.agentPublicKey, ephemeral.publicKey, agentEphemeral);
      ephemeral.secretKey.fill(0);
      let confirmation: { seq: number; message: unknown };
      try {
        confirmation = openWith(sessionAead(keys.agentToDevice), sealedBytesOf(answer.data.c));
      } catch {
        throw new SecureChannelError("bad_handshake", "the agent could not prove its identity: this is not the paired PC");
      }
      if (confirmation.seq !== 0 || confirmation.message !== CONFIRMATION) throw new SecureChannelError("bad_handshake", "bad handshake confirmation");
      return new SecureChannel(keys.deviceToAgent, keys.agentToDevice);
    },
  };
}

/** The agent's side: answers a device's hello. The caller has looked up `devicePublicKey` by hello.dev. */
export async function acceptHandshake(
  hello: HandshakeHello,
  options: { agentKey: StaticKey; devicePublicKey: Uint8Array },
): Promise<{ answer: HandshakeAnswer; channel: SecureChannel }> {
  const deviceEphemeral = decodeKey(hello.e);
  const ephemeral = generateKeyPair();
  const ikm = concatBytes(
    dh(ephemeral.secretKey, deviceEphemeral),
    await options.agentKey.dh(deviceEphemeral),
    dh(ephemeral.secretKey, options.devicePublicKey),
  );
  const keys = deriveKeys(ikm, hello.dev, options.devicePublicKey, options.agentKey.publicKey, deviceEphemeral, ephemeral.publicKey);
  ephemeral.secretKey.fill(0);
  const answer: HandshakeAnswer = {
    e2e: V1,
    e: toBase64Url(ephemeral.publicKey),
    c: toBase64Url(sealWith(sessionAead(keys.agentToDevice), 0, CONFIRMATION)),
  };
  return { answer, channel: new SecureChannel(keys.agentToDevice, keys.deviceToAgent) };
}

function deriveKeys(
  ikm: Uint8Array,
  device: string,
  devicePublic: Uint8Array,
  agentPublic: Uint8Array,
  deviceEphemeral: Uint8Array,
  agentEphemeral: Uint8Array,
) {
  const deviceBytes = utf8ToBytes(device);
  const salt = sha256(concatBytes(LABEL, new Uint8Array([deviceBytes.length]), deviceBytes, devicePublic, agentPublic, deviceEphemeral, agentEphemeral));
  const okm = hkdf(sha256, ikm, salt, KEYS_INFO, 64);
  ikm.fill(0);
  return { deviceToAgent: okm.slice(0, 32), agentToDevice: okm.slice(32, 64) };
}

function decodeKey(text: string): Uint8Array {
  const key = fromBase64Url(text);
  if (!key || key.length !== KEY_BYTES) throw new SecureChannelError("bad_handshake", "a handshake key is not 32 bytes of base64url");
  return key;
}

/** seq as 8 bytes big-endian, written as two 32-bit halves: no BigInt on the per-frame path. */
const TWO_32 = 2 ** 32;

function sealWith(aead: SessionAead, seq: number, message: unknown, headroom = 0): Uint8Array {
  const seqBytes = new Uint8Array(SEQ_BYTES);
  const view = new DataView(seqBytes.buffer);
  view.setUint32(0, Math.floor(seq / TWO_32));
  view.setUint32(4, seq >>> 0);
  // Sealed after room for the caller and for seq: the frame is built in one buffer.
  const sealed = aead.seal(seqBytes, encodePlaintext(message), headroom + SEQ_BYTES);
  sealed.set(seqBytes, headroom);
  return sealed;
}

/** The bytes of a text payload; a payload that is no base64url is as tampered as one that fails its tag. */
function sealedBytesOf(payload: string): Uint8Array {
  const bytes = fromBase64Url(payload);
  if (!bytes) throw new SecureChannelError("tampered", "a sealed frame is malformed");
  return bytes;
}

function openWith(aead: SessionAead, bytes: Uint8Array): { seq: number; message: unknown } {
  if (bytes.length < SEQ_BYTES + TAG_BYTES) throw new SecureChannelError("tampered", "a sealed frame is malformed");
  const seqBytes = bytes.subarray(0, SEQ_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEQ_BYTES);
  const high = view.getUint32(0);
  // Above 2^53 - 1 a seq is no longer an exact number: refused (no honest peer gets there).
  if (high >= 2 ** 21) throw new SecureChannelError("tampered", "a sealed frame's sequence number is out of range");
  const seq = high * TWO_32 + view.getUint32(4);
  let plaintext: Uint8Array;
  try {
    plaintext = aead.open(seqBytes, bytes.subarray(SEQ_BYTES));
  } catch {
    throw new SecureChannelError("tampered", "a sealed frame failed authentication");
  }
  try {
    return { seq, message: decodePlaintext(plaintext) };
  } catch {
    throw new SecureChannelError("tampered", "a sealed frame holds no JSON");
  }
}
