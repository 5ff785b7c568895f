/**
 * The end-to-end session crypto on its own: the handshake authenticates both ends, every sealed frame
 * opens exactly once and in order, and the primitives agree byte for byte with libsodium.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import {
  acceptHandshake,
  beginHandshake,
  dh,
  SecureChannel,
  SecureChannelError,
  fromBase64Url,
  generateKeyPair,
  sessionAead,
  staticKey,
  toBase64Url,
} from "@ora/protocol";
import fc from "fast-check";
import sodium from "libsodium-wrappers";
import { beforeAll, describe, expect, it } from "vitest";

beforeAll(async () => {
  await sodium.ready;
});

async function session(options: { agentKnows?: Uint8Array; deviceTrusts?: Uint8Array } = {}) {
  const device = generateKeyPair();
  const agent = generateKeyPair();
  const hs = beginHandshake({ device: "d1", deviceKey: staticKey(device.secretKey), agentPublicKey: options.deviceTrusts ?? agent.publicKey });
  const accepted = await acceptHandshake(hs.hello, { agentKey: staticKey(agent.secretKey), devicePublicKey: options.agentKnows ?? device.publicKey });
  return { device, agent, hs, accepted };
}

describe("end-to-end sessions", () => {
  it("derives matching keys on both ends and carries JSON both ways", async () => {
    const { hs, accepted } = await session();
    const deviceChannel = await hs.finish(accepted.answer);
    const request = deviceChannel.seal({ k: "req", body: { method: "echo", params: "héllo" } });
    expect(accepted.channel.open(request.payload)).toEqual({ seq: 1, message: { k: "req", body: { method: "echo", params: "héllo" } } });
    const reply = accepted.channel.seal({ k: "res", re: request.seq, body: { ok: true } });
    expect(deviceChannel.open(reply.payload).message).toEqual({ k: "res", re: 1, body: { ok: true } });
  });

  it("refuses an agent that does not hold the long-term key the device paired with", async () => {
    const impostor = generateKeyPair();
    const { hs, accepted } = await session({ deviceTrusts: impostor.publicKey });
    await expect(hs.finish(accepted.answer)).rejects.toMatchObject({ reason: "bad_handshake" });
  });

  it("gives a device without the paired secret key a channel the agent cannot open", async () => {
    const other = generateKeyPair();
    // The agent believes it talks to `other`; the real device does not hold other's secret key.
    const { hs, accepted } = await session({ agentKnows: other.publicKey });
    await expect(hs.finish(accepted.answer)).rejects.toBeInstanceOf(SecureChannelError);
  });

  it("rejects replayed, reordered, reinjected and cross-session frames", async () => {
    const a = await session();
    const b = await session();
    const deviceA = await a.hs.finish(a.accepted.answer);
    const first = deviceA.seal({ n: 1 });
    const second = deviceA.seal({ n: 2 });
    const third = deviceA.seal({ n: 3 });
    expect(a.accepted.channel.open(second.payload).message).toEqual({ n: 2 }); // gap allowed: relay may drop
    expect(() => a.accepted.channel.open(first.payload)).toThrow(/again or out of order/); // reordered / reinjected
    expect(() => a.accepted.channel.open(second.payload)).toThrow(/again or out of order/); // replayed
    expect(() => b.accepted.channel.open(third.payload)).toThrow(/failed authentication/); // another session's keys
    expect(a.accepted.channel.open(third.payload).message).toEqual({ n: 3 });
  });

  it("rejects any single flipped bit anywhere in a sealed frame", async () => {
    const { hs, accepted } = await session();
    const device = await hs.finish(accepted.answer);
    const { payload } = device.seal({ secret: "canary" });
    const bytes = fromBase64Url(payload)!;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const copy = bytes.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        const fresh = new SecureChannel(new Uint8Array(32), new Uint8Array(32));
        expect(() => fresh.open(toBase64Url(copy))).toThrow(SecureChannelError);
        expect(() => accepted.channel.open(toBase64Url(copy))).toThrow(SecureChannelError);
      }),
      { numRuns: 200 },
    );
    expect(accepted.channel.open(payload).message).toEqual({ secret: "canary" });
  });

  it("refuses malformed payloads and handshake answers with typed errors", async () => {
    const { hs, accepted } = await session();
    for (const bad of ["", "not base64!", "AAAA", toBase64Url(new Uint8Array(23))]) expect(() => accepted.channel.open(bad)).toThrow(SecureChannelError);
    await expect(hs.finish({ e2e: 1, e: "short", c: "x" })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(hs.finish({ ...accepted.answer, e2e: 2 })).rejects.toMatchObject({ reason: "bad_handshake" });
    const zeros = toBase64Url(new Uint8Array(32));
    await expect(hs.finish({ ...accepted.answer, e: zeros })).rejects.toThrow();
  });

  it("uses X25519 and XChaCha20-Poly1305 exactly as libsodium computes them", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        (skA, skB, message, nonce) => {
          const pkB = sodium.crypto_scalarmult_base(skB);
          expect(toBase64Url(dh(skA, pkB))).toBe(toBase64Url(sodium.crypto_scalarmult(skA, pkB)));
          const key = sodium.crypto_generichash(32, skA, null);
          const ours = xchacha20poly1305(key, nonce).encrypt(message);
          expect(toBase64Url(ours)).toBe(toBase64Url(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, null, null, nonce, key)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("seals a session's frames so that libsodium, given the session key, opens them", async () => {
    // The wire format is plain XChaCha20-Poly1305 with nonce 0¹⁶ ‖ seq: an independent implementation
    // holding the key reads it, so nothing home-made hides in the framing.
    const key = sodium.randombytes_buf(32);
    const channel = new SecureChannel(key, key);
    const { payload, seq } = channel.seal({ hello: "world" });
    const bytes = fromBase64Url(payload)!;
    const nonce = new Uint8Array(24);
    nonce.set(bytes.subarray(0, 8), 16);
    const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.subarray(8), null, nonce, key);
    expect(JSON.parse(new TextDecoder().decode(plain))).toEqual({ hello: "world" });
    expect(seq).toBe(1);
  });

  it("seals exactly as XChaCha20-Poly1305 with nonce 0¹⁶ ‖ seq, on the native path and on noble's", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 2000 }),
        (key, seq, message) => {
          const nonce = new Uint8Array(24);
          nonce.set(seq, 16);
          const reference = toBase64Url(xchacha20poly1305(key, nonce).encrypt(message));
          expect(toBase64Url(sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, null, null, nonce, key))).toBe(reference);
          for (const aead of [sessionAead(key), sessionAead(key, { native: false })]) {
            const sealed = aead.seal(seq, message);
            expect(toBase64Url(sealed)).toBe(reference);
            expect(toBase64Url(aead.open(seq, sealed))).toBe(toBase64Url(message));
            const flipped = sealed.slice();
            flipped[flipped.length - 1]! ^= 1;
            expect(() => aead.open(seq, flipped)).toThrow();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
