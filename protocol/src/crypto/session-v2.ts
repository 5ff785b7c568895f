/**
 * The secure channel's handshake, version 2: Noise_KK_25519_ChaChaPoly_SHA256 (crypto/noise.ts), the
 * device as initiator and the agent as responder. Both long-term keys are known from pairing, which
 * is what KK assumes. The messages travel where version 1's do (the session's first request and its
 * answer), in clear, as base64url:
 *
 *   device → agent  {"e2e":2,"dev":"<device id>","m":"<Noise message 1: Ec ‖ AEAD tag of an empty payload>"}
 *   agent → device  {"e2e":2,"m":"<Noise message 2: Ea ‖ sealed 'ora e2e v2 ready'>"}
 *
 *   prologue = "ora e2e v2" ‖ len(dev) ‖ dev      (Noise hashes both static and both ephemeral keys itself)
 *   message 1 = -> e, es, ss     message 2 = <- e, ee, se      (pre-messages -> s, <- s)
 *   Split → device→agent key, agent→device key
 *
 * Split's two keys become the keys of the secure channel's framing (crypto/session.ts SecureChannel):
 * the per-direction sequence numbers, and the payload format the relay sees, stay what they were.
 * Noise's own transport nonces could not be used as they are: they must arrive in order with no gaps,
 * and the relay legitimately refuses some requests without forwarding them.
 *
 * Message 2's payload is the confirmation: only the holder of the agent's secret key can produce a
 * message 2 that decrypts (se and es), and only the holder of the device's can produce a message 1 the
 * agent accepts (ss), so a relay in the middle can stand in for neither end. The ephemeral keys are
 * fresh per handshake and wiped after Split: recorded traffic stays sealed if a long-term key leaks later.
 */
import { utf8ToBytes } from "@noble/hashes/utils.js";
import * as z from "zod/mini";
import { fromBase64Url, toBase64Url } from "../encoding.js";
import type { StaticKey } from "./keys.js";
import { KKHandshake } from "./noise.js";
import { HandshakeHello, SecureChannel, SecureChannelError } from "./session.js";

/** The handshake version clients send. The agent also accepts version 1 until V1_ACCEPTED_UNTIL. */
export const SECURE_CHANNEL_VERSION = 2;
const LABEL = utf8ToBytes("ora e2e v2");
const CONFIRMATION = "ora e2e v2 ready";
/** Message 1 is Ec and the tag of an empty payload; message 2 is Ea and the sealed confirmation. */
const MESSAGE_1_BYTES = 32 + 16;
const MESSAGE_2_BYTES = 32 + CONFIRMATION.length + 16;

const base64url = (bytes: number) => z.string().check(z.length(Math.ceil((bytes * 4) / 3)));
export const HandshakeHelloV2 = z.object({ e2e: z.literal(2), dev: z.string().check(z.minLength(1), z.maxLength(64)), m: base64url(MESSAGE_1_BYTES) });
export type HandshakeHelloV2 = z.infer<typeof HandshakeHelloV2>;
export const HandshakeAnswerV2 = z.object({ e2e: z.literal(2), m: base64url(MESSAGE_2_BYTES) });
export type HandshakeAnswerV2 = z.infer<typeof HandshakeAnswerV2>;

/** A hello of either version the agent accepts, told apart by `e2e`. */
export const AnyHandshakeHello = z.discriminatedUnion("e2e", [HandshakeHello, HandshakeHelloV2]);
export type AnyHandshakeHello = z.infer<typeof AnyHandshakeHello>;

/** The device's side: send `hello`, then finish with the agent's answer. */
export async function beginHandshakeV2(options: { device: string; deviceKey: StaticKey; agentPublicKey: Uint8Array }) {
  const noise = new KKHandshake({ initiator: true, prologue: prologueFor(options.device), s: options.deviceKey, rs: options.agentPublicKey });
  const hello: HandshakeHelloV2 = { e2e: 2, dev: options.device, m: toBase64Url(await noise.writeMessage(new Uint8Array(0))) };
  return {
    hello,
    async finish(raw: unknown): Promise<SecureChannel> {
      const answer = HandshakeAnswerV2.safeParse(raw);
      const message = answer.success ? fromBase64Url(answer.data.m) : null;
      if (!message) throw new SecureChannelError("bad_handshake", "the agent's handshake answer is malformed");
      let confirmation: Uint8Array;
      try {
        confirmation = await noise.readMessage(message);
      } catch {
        throw new SecureChannelError("bad_handshake", "the agent could not prove its identity: this is not the paired PC");
      }
      if (new TextDecoder().decode(confirmation) !== CONFIRMATION) throw new SecureChannelError("bad_handshake", "bad handshake confirmation");
      const { sendKey, receiveKey } = noise.split();
      return new SecureChannel(sendKey, receiveKey);
    },
  };
}

/** The agent's side: answers a device's hello. The caller has looked up `devicePublicKey` by hello.dev. */
export async function acceptHandshakeV2(
  hello: HandshakeHelloV2,
  options: { agentKey: StaticKey; devicePublicKey: Uint8Array },
): Promise<{ answer: HandshakeAnswerV2; channel: SecureChannel }> {
  const message = fromBase64Url(hello.m);
  if (!message) throw new SecureChannelError("bad_handshake", "the device's handshake is malformed");
  const noise = new KKHandshake({ initiator: false, prologue: prologueFor(hello.dev), s: options.agentKey, rs: options.devicePublicKey });
  try {
    await noise.readMessage(message); // its payload is empty: the length check above saw to that
  } catch {
    throw new SecureChannelError("bad_handshake", "the device could not prove its identity");
  }
  const answer: HandshakeAnswerV2 = { e2e: 2, m: toBase64Url(await noise.writeMessage(utf8ToBytes(CONFIRMATION))) };
  const { sendKey, receiveKey } = noise.split();
  return { answer, channel: new SecureChannel(sendKey, receiveKey) };
}

function prologueFor(device: string): Uint8Array {
  const id = utf8ToBytes(device);
  // At most 64 UTF-16 units: at most 192 bytes of UTF-8, so one length byte suffices.
  if (id.length > 255) throw new SecureChannelError("bad_handshake", "a device id is at most 255 bytes");
  const prologue = new Uint8Array(LABEL.length + 1 + id.length);
  prologue.set(LABEL);
  prologue[LABEL.length] = id.length;
  prologue.set(id, LABEL.length + 1);
  return prologue;
}
