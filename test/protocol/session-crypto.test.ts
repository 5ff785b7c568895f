/**
 * The end-to-end session crypto on its own: the handshake (version 2, Noise KK, and version 1, still
 * accepted) authenticates both ends, every sealed frame opens exactly once and in order, and the
 * primitives agree byte for byte with libsodium.
 */
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import {
  acceptHandshake,
  acceptHandshakeV2,
  beginHandshake,
  beginHandshakeV2,
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

type Version = 1 | 2;
type KeyPair = ReturnType<typeof generateKeyPair>;

interface SessionOptions {
  agentKnows?: Uint8Array;
  deviceTrusts?: Uint8Array;
  device?: KeyPair;
  agent?: KeyPair;
}

function parties(options: SessionOptions) {
  const device = options.device ?? generateKeyPair();
  const agent = options.agent ?? generateKeyPair();
  const keys = { device: "d1", deviceKey: staticKey(device.secretKey), agentPublicKey: options.deviceTrusts ?? agent.publicKey };
  const agentKeys = { agentKey: staticKey(agent.secretKey), devicePublicKey: options.agentKnows ?? device.publicKey };
  return { device, agent, keys, agentKeys };
}

/** A version 2 handshake; the agent side answers it unless it refuses (then it throws). */
async function sessionV2(options: SessionOptions = {}) {
  const { device, agent, keys, agentKeys } = parties(options);
  const hs = await beginHandshakeV2(keys);
  return { device, agent, hs, accepted: await acceptHandshakeV2(hs.hello, agentKeys) };
}

/** A handshake of `version`, as sessionV2. */
async function session(version: Version, options: SessionOptions = {}) {
  if (version === 2) return sessionV2(options);
  const { device, agent, keys, agentKeys } = parties(options);
  const hs = beginHandshake(keys);
  return { device, agent, hs, accepted: await acceptHandshake(hs.hello, agentKeys) };
}

describe.each([2, 1] as const)("end-to-end sessions, handshake version %i", (version) => {
  it("derives matching keys on both ends and carries JSON both ways", async () => {
    const { hs, accepted } = await session(version);
    const deviceChannel = await hs.finish(accepted.answer);
    const request = deviceChannel.seal({ k: "req", body: { method: "echo", params: "héllo" } });
    expect(accepted.channel.open(request.payload)).toEqual({ seq: 1, message: { k: "req", body: { method: "echo", params: "héllo" } } });
    const reply = accepted.channel.seal({ k: "res", re: request.seq, body: { ok: true } });
    expect(deviceChannel.open(reply.payload).message).toEqual({ k: "res", re: 1, body: { ok: true } });
  });

  it("refuses an agent that does not hold the long-term key the device paired with", async () => {
    const impostor = generateKeyPair();
    // Version 1 lets the impostor answer and the device refuses the answer; version 2 already fails
    // at the agent, which cannot read message 1 without the key the device encrypted it to.
    const attempt = session(version, { deviceTrusts: impostor.publicKey }).then(({ hs, accepted }) => hs.finish(accepted.answer));
    await expect(attempt).rejects.toMatchObject({ reason: "bad_handshake" });
  });

  it("gives a device without the paired secret key a channel the agent cannot open", async () => {
    const other = generateKeyPair();
    // The agent believes it talks to `other`; the real device does not hold other's secret key.
    const attempt = session(version, { agentKnows: other.publicKey }).then(({ hs, accepted }) => hs.finish(accepted.answer));
    await expect(attempt).rejects.toBeInstanceOf(SecureChannelError);
  });

  it("rejects replayed, reordered, reinjected and cross-session frames", async () => {
    const a = await session(version);
    const b = await session(version);
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
    const { hs, accepted } = await session(version);
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

  it("seals bytes that are exactly the text payload's base64url, and opens either form in one sequence", async () => {
    const { hs, accepted } = await session(version);
    const device = await hs.finish(accepted.answer);
    const first = device.sealBytes({ n: 1 });
    const second = device.seal({ n: 2 });
    expect(first.seq).toBe(1);
    expect(second.seq).toBe(2);
    // The text form is the byte form's base64url: a relay can turn one into the other.
    expect(accepted.channel.open(toBase64Url(first.bytes)).message).toEqual({ n: 1 });
    expect(accepted.channel.openBytes(fromBase64Url(second.payload)!).message).toEqual({ n: 2 });
    expect(() => accepted.channel.openBytes(first.bytes)).toThrow(/again or out of order/);
  });

  it("refuses a sealed binary payload with any single bit flipped as tampered", async () => {
    const { hs, accepted } = await session(version);
    const device = await hs.finish(accepted.answer);
    const { bytes } = device.sealBytes({ secret: "canary" });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const copy = bytes.slice();
        copy[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => accepted.channel.openBytes(copy)).toThrow(expect.objectContaining({ reason: "tampered" }));
      }),
      { numRuns: 200 },
    );
    expect(accepted.channel.openBytes(bytes).message).toEqual({ secret: "canary" });
  });

  it("refuses malformed payloads with typed errors", async () => {
    const { accepted } = await session(version);
    for (const bad of [new Uint8Array(0), new Uint8Array(23)]) expect(() => accepted.channel.openBytes(bad)).toThrow(SecureChannelError);
    for (const bad of ["", "not base64!", "AAAA", toBase64Url(new Uint8Array(23))]) expect(() => accepted.channel.open(bad)).toThrow(SecureChannelError);
  });
});

describe("handshake version 1 (accepted until V1_ACCEPTED_UNTIL)", () => {
  it("refuses malformed handshake answers with typed errors", async () => {
    const { hs, accepted } = await session(1);
    await expect(hs.finish({ e2e: 1, e: "short", c: "x" })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(hs.finish({ ...accepted.answer, e2e: 2 })).rejects.toMatchObject({ reason: "bad_handshake" });
    const zeros = toBase64Url(new Uint8Array(32));
    await expect(hs.finish({ ...accepted.answer, e: zeros })).rejects.toThrow();
  });
});

describe("handshake version 2 (Noise KK)", () => {
  const flip = (text: string, bit: number) => {
    const bytes = fromBase64Url(text)!;
    bytes[bit >> 3]! ^= 1 << (bit & 7);
    return toBase64Url(bytes);
  };
  // Bit 255 is the top bit of the ephemeral key, which X25519 ignores: the handshake hash catches it.
  const runs = { numRuns: 60, examples: [[0], [255], [256]] as [number][] };

  it("refuses message 1 (the device's hello) with any single bit flipped", async () => {
    const device = generateKeyPair();
    const agent = generateKeyPair();
    const hs = await beginHandshakeV2({ device: "d1", deviceKey: staticKey(device.secretKey), agentPublicKey: agent.publicKey });
    const agentKeys = { agentKey: staticKey(agent.secretKey), devicePublicKey: device.publicKey };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 48 * 8 - 1 }), async (bit) => {
        await expect(acceptHandshakeV2({ ...hs.hello, m: flip(hs.hello.m, bit) }, agentKeys)).rejects.toMatchObject({ reason: "bad_handshake" });
      }),
      runs,
    );
    // Unaltered, it still goes through.
    await expect(acceptHandshakeV2(hs.hello, agentKeys)).resolves.toBeDefined();
  });

  it("refuses message 2 (the agent's answer) with any single bit flipped", async () => {
    const device = generateKeyPair();
    const agent = generateKeyPair();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 64 * 8 - 1 }), async (bit) => {
        const { hs, accepted } = await sessionV2({ device, agent });
        await expect(hs.finish({ ...accepted.answer, m: flip(accepted.answer.m, bit) })).rejects.toMatchObject({ reason: "bad_handshake" });
      }),
      { ...runs, numRuns: 40 },
    );
  });

  it("binds the device id: a hello replayed under another device's id is refused", async () => {
    const device = generateKeyPair();
    const agent = generateKeyPair();
    const hs = await beginHandshakeV2({ device: "d1", deviceKey: staticKey(device.secretKey), agentPublicKey: agent.publicKey });
    // Even with the same key on record for "d2", the prologue differs and message 1 does not open.
    await expect(
      acceptHandshakeV2({ ...hs.hello, dev: "d2" }, { agentKey: staticKey(agent.secretKey), devicePublicKey: device.publicKey }),
    ).rejects.toMatchObject({ reason: "bad_handshake" });
  });

  it("refuses a relay that swaps in its own static keys, on either side", async () => {
    const relay = generateKeyPair();
    const device = generateKeyPair();
    const agent = generateKeyPair();
    // The relay relays the device's hello to an agent that holds the relay's key in the device's place.
    await expect(sessionV2({ device, agent, agentKnows: relay.publicKey })).rejects.toMatchObject({ reason: "bad_handshake" });
    // The relay answers the device itself, with its own static key as the agent's.
    const hs = await beginHandshakeV2({ device: "d1", deviceKey: staticKey(device.secretKey), agentPublicKey: agent.publicKey });
    await expect(acceptHandshakeV2(hs.hello, { agentKey: staticKey(relay.secretKey), devicePublicKey: device.publicKey })).rejects.toMatchObject({
      reason: "bad_handshake",
    });
    // Or it completes a handshake with the agent itself, under the device's id and its own key, and
    // hands the agent's answer to the device: the device's own handshake state refuses it.
    const relayed = await sessionV2({ device: relay, agent });
    await expect(hs.finish(relayed.accepted.answer)).rejects.toMatchObject({ reason: "bad_handshake" });
  });

  it("derives fresh keys every session from fresh ephemerals, with the same long-term keys", async () => {
    const device = generateKeyPair();
    const agent = generateKeyPair();
    const a = await sessionV2({ device, agent });
    const b = await sessionV2({ device, agent });
    const e = (m: string) => toBase64Url(fromBase64Url(m)!.subarray(0, 32));
    expect(e(a.hs.hello.m)).not.toBe(e(b.hs.hello.m));
    expect(e(a.accepted.answer.m)).not.toBe(e(b.accepted.answer.m));
    const channelA = await a.hs.finish(a.accepted.answer);
    const channelB = await b.hs.finish(b.accepted.answer);
    // The same message under the same seq seals differently: the keys differ.
    expect(channelA.seal({ same: 1 }).payload).not.toBe(channelB.seal({ same: 1 }).payload);
    expect(() => b.accepted.channel.open(channelA.seal({ n: 2 }).payload)).toThrow(/failed authentication/);
  });

  it("refuses to start with a device id too long for the prologue's length byte", async () => {
    const keys = { deviceKey: staticKey(generateKeyPair().secretKey), agentPublicKey: generateKeyPair().publicKey };
    await expect(beginHandshakeV2({ ...keys, device: "é".repeat(128) })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(beginHandshakeV2({ ...keys, device: "é".repeat(127) })).resolves.toBeDefined();
  });

  it("refuses malformed answers, a version 1 answer, and a finished handshake used again", async () => {
    const { hs, accepted } = await sessionV2();
    await expect(hs.finish({ e2e: 2, m: "short" })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(hs.finish({ e2e: 1, e: toBase64Url(new Uint8Array(32)), c: "x" })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(hs.finish({ e2e: 2, m: "!".repeat(86) })).rejects.toMatchObject({ reason: "bad_handshake" });
    await expect(hs.finish(accepted.answer)).resolves.toBeInstanceOf(SecureChannel);
    await expect(hs.finish(accepted.answer)).rejects.toMatchObject({ reason: "bad_handshake" });
  });
});

describe("the framing", () => {
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
