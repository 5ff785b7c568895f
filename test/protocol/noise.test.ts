/**
 * Noise_KK_25519_ChaChaPoly_SHA256 against cacophony's published test vector: both roles produce and
 * accept exactly the published bytes, the handshake hash matches, and Split's CipherStates carry the
 * transport messages. Then what must fail: any altered message, or a peer without the expected key.
 */
import { readFileSync } from "node:fs";
import { CipherState, KKHandshake, NoiseError, staticKey, type KeyPair } from "@ora/protocol";
import { x25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

interface Vector {
  protocol_name: string;
  init_prologue: string;
  init_static: string;
  init_ephemeral: string;
  init_remote_static: string;
  resp_prologue: string;
  resp_static: string;
  resp_ephemeral: string;
  resp_remote_static: string;
  handshake_hash: string;
  messages: { payload: string; ciphertext: string }[];
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/noise-kk-vectors.json", import.meta.url), "utf8")) as { vectors: Vector[] };
const vector = fixture.vectors.find((v) => v.protocol_name === "Noise_KK_25519_ChaChaPoly_SHA256")!;

const pair = (secretHex: string): KeyPair => {
  const secretKey = hexToBytes(secretHex);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
};

function initiator(overrides: { rs?: Uint8Array; s?: string } = {}) {
  return new KKHandshake({
    initiator: true,
    prologue: hexToBytes(vector.init_prologue),
    s: staticKey(hexToBytes(overrides.s ?? vector.init_static)),
    rs: overrides.rs ?? hexToBytes(vector.init_remote_static),
    e: pair(vector.init_ephemeral),
  });
}

function responder(overrides: { rs?: Uint8Array; s?: string } = {}) {
  return new KKHandshake({
    initiator: false,
    prologue: hexToBytes(vector.resp_prologue),
    s: staticKey(hexToBytes(overrides.s ?? vector.resp_static)),
    rs: overrides.rs ?? hexToBytes(vector.resp_remote_static),
    e: pair(vector.resp_ephemeral),
  });
}

const msg = (i: number) => ({ payload: hexToBytes(vector.messages[i]!.payload), ciphertext: hexToBytes(vector.messages[i]!.ciphertext) });

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

/**
 * The handshake hash, then transport messages 3–6 with Split's keys: they alternate initiator,
 * responder, initiator, responder, so each side sends the ones of its own turn and reads the others.
 */
function expectTransport(split: { sendKey: Uint8Array; receiveKey: Uint8Array; handshakeHash: Uint8Array }, role: "initiator" | "responder"): void {
  expect(bytesToHex(split.handshakeHash)).toBe(vector.handshake_hash);
  const send = new CipherState(split.sendKey);
  const receive = new CipherState(split.receiveKey);
  for (let i = 2; i < vector.messages.length; i++) {
    const { payload, ciphertext } = msg(i);
    const mine = (i % 2 === 0) === (role === "initiator");
    if (mine) expect(bytesToHex(send.encryptWithAd(new Uint8Array(0), payload))).toBe(vector.messages[i]!.ciphertext);
    else expect(bytesToHex(receive.decryptWithAd(new Uint8Array(0), ciphertext))).toBe(vector.messages[i]!.payload);
  }
}

describe("Noise_KK_25519_ChaChaPoly_SHA256", () => {
  it("has the vector's keys consistent: each side's remote static is the other's public key", () => {
    expect(bytesToHex(pair(vector.resp_static).publicKey)).toBe(vector.init_remote_static);
    expect(bytesToHex(pair(vector.init_static).publicKey)).toBe(vector.resp_remote_static);
  });

  it("as the initiator, writes and reads the published handshake bytes and handshake hash", async () => {
    const hs = initiator();
    expect(bytesToHex(await hs.writeMessage(msg(0).payload))).toBe(vector.messages[0]!.ciphertext);
    expect(bytesToHex(await hs.readMessage(msg(1).ciphertext))).toBe(vector.messages[1]!.payload);
    expectTransport(hs.split(), "initiator");
  });

  it("as the responder, reads and writes the published handshake bytes and handshake hash", async () => {
    const hs = responder();
    expect(bytesToHex(await hs.readMessage(msg(0).ciphertext))).toBe(vector.messages[0]!.payload);
    expect(bytesToHex(await hs.writeMessage(msg(1).payload))).toBe(vector.messages[1]!.ciphertext);
    expectTransport(hs.split(), "responder");
  });

  // Bit 255 is the top bit of the ephemeral key, which X25519 ignores: the hash still catches it.
  const someBits = (bytes: number) => fc.integer({ min: 0, max: bytes * 8 - 1 });
  const runs = { numRuns: 96, examples: [[0], [255], [256]] as [number][] };

  it("refuses the first message with any single bit flipped", async () => {
    await fc.assert(
      fc.asyncProperty(someBits(msg(0).ciphertext.length), async (bit) => {
        await expect(responder().readMessage(flipBit(msg(0).ciphertext, bit))).rejects.toBeInstanceOf(NoiseError);
      }),
      runs,
    );
  });

  it("refuses the second message with any single bit flipped", async () => {
    await fc.assert(
      fc.asyncProperty(someBits(msg(1).ciphertext.length), async (bit) => {
        const hs = initiator();
        await hs.writeMessage(msg(0).payload);
        await expect(hs.readMessage(flipBit(msg(1).ciphertext, bit))).rejects.toBeInstanceOf(NoiseError);
        expect(() => hs.split()).toThrow(NoiseError);
      }),
      runs,
    );
  });

  it("refuses truncated, padded and empty handshake messages", async () => {
    const m = msg(0).ciphertext;
    for (const bad of [new Uint8Array(0), m.subarray(0, 47), m.subarray(0, m.length - 1), new Uint8Array([...m, 0])]) {
      await expect(responder().readMessage(bad)).rejects.toBeInstanceOf(NoiseError);
    }
  });

  it("fails when the responder expects another initiator static key", async () => {
    const stranger = pair("11".repeat(32));
    await expect(responder({ rs: stranger.publicKey }).readMessage(msg(0).ciphertext)).rejects.toBeInstanceOf(NoiseError);
  });

  it("fails when the initiator expects another responder static key", async () => {
    const stranger = pair("22".repeat(32));
    // The responder is the real one; the initiator believes it talks to `stranger`.
    const hs = initiator({ rs: stranger.publicKey });
    const first = await hs.writeMessage(msg(0).payload);
    await expect(responder().readMessage(first)).rejects.toBeInstanceOf(NoiseError);
  });

  it("fails when an impostor without the responder's secret answers", async () => {
    const hs = initiator();
    const first = await hs.writeMessage(msg(0).payload);
    // The impostor knows every public key but holds another static secret.
    const impostor = responder({ s: "33".repeat(32) });
    await expect(impostor.readMessage(first)).rejects.toBeInstanceOf(NoiseError);
  });

  it("refuses messages out of turn, a low-order ephemeral key, and a split before the end", async () => {
    const hs = responder();
    await expect(hs.writeMessage(new Uint8Array(0))).rejects.toThrow(/out of turn/);
    expect(() => initiator().split()).toThrow(/not complete/);
    const lowOrder = new Uint8Array(48); // an all-zero ephemeral key
    await expect(responder().readMessage(lowOrder)).rejects.toBeInstanceOf(NoiseError);
    // No Noise message exceeds 65535 bytes: 32 for e, 16 for the tag, the rest for the payload.
    await expect(initiator().writeMessage(new Uint8Array(65535 - 48 + 1))).rejects.toThrow(/65535/);
    await expect(initiator().writeMessage(new Uint8Array(65535 - 48))).resolves.toHaveLength(65535);
  });
});
