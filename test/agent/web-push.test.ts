/**
 * The encryption of notifications (RFC 8291, aes128gcm) against the RFC's own worked example, and
 * what the agent seals against an independent implementation (http_ece, the one the tests' push
 * service decrypts with).
 */
import { createECDH } from "node:crypto";
import { encryptNotification } from "@block65/webcrypto-web-push";
import ece from "http_ece";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sealNotification, topicOf } from "../../node-agent/src/notify/index.js";

/** RFC 8291 §5 and Appendix A: every input, and the message they make. */
const RFC8291 = {
  plaintext: "When I grow up, I want to be a watermelon",
  asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
  asPublic: "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
  uaPublic: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  authSecret: "BTBZMqHH6r4Tts7J_aSIgg",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  message:
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
};

const bytes = (base64url: string) => new Uint8Array(Buffer.from(base64url, "base64url"));

function receiver(privateKey: string) {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(Buffer.from(privateKey, "base64url"));
  return ecdh;
}

/** The RFC's application-server key pair, as WebCrypto's generateKey would hand over a fresh one. */
async function rfcServerKeys(): Promise<CryptoKeyPair> {
  const point = bytes(RFC8291.asPublic);
  const jwk = {
    kty: "EC",
    crv: "P-256",
    x: Buffer.from(point.slice(1, 33)).toString("base64url"),
    y: Buffer.from(point.slice(33, 65)).toString("base64url"),
  };
  const privateKey = await crypto.subtle.importKey("jwk", { ...jwk, d: RFC8291.asPrivate }, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const publicKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDH", namedCurve: "P-256" }, true, []);
  return { privateKey, publicKey };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("RFC 8291's worked example", () => {
  it("decrypts to its plaintext with the user agent's keys (the test push service's path)", () => {
    const opened = ece.decrypt(Buffer.from(RFC8291.message, "base64url"), {
      version: "aes128gcm",
      privateKey: receiver(RFC8291.uaPrivate),
      authSecret: RFC8291.authSecret,
    });
    expect(opened.toString("utf8")).toBe(RFC8291.plaintext);
  });

  it("is what the agent's encryption library makes, byte for byte, given the example's salt and server key pair", async () => {
    // The library takes its salt and ephemeral key from WebCrypto; hand it the example's instead.
    const salt = bytes(RFC8291.salt);
    const keys = await rfcServerKeys();
    vi.spyOn(crypto, "getRandomValues").mockImplementationOnce((array) => {
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(salt);
      return array;
    });
    vi.spyOn(crypto.subtle, "generateKey").mockResolvedValueOnce(keys);
    const subscription = { endpoint: "https://push.example/x", expirationTime: null, keys: { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret } };
    const message = await encryptNotification(subscription, new TextEncoder().encode(RFC8291.plaintext), { pad: false });
    expect(Buffer.from(message).toString("base64url")).toBe(RFC8291.message);
  });
});

describe("what the agent seals", () => {
  const body = { title: "ORA", body: "Approval needed: files.write (HIGH) asked by guest-tablet", url: "/#approvals", tag: "a1" };

  it("opens with the subscription's keys in an independent implementation, padded to 4096 bytes", async () => {
    const sealed = await sealNotification(
      { endpoint: "https://fcm.googleapis.com/fcm/send/x", keys: { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret } },
      body,
    );
    expect(sealed.byteLength).toBe(4096);
    expect(Buffer.from(sealed).includes(Buffer.from("Approval needed"))).toBe(false);
    const opened = ece.decrypt(Buffer.from(sealed), { version: "aes128gcm", privateKey: receiver(RFC8291.uaPrivate), authSecret: RFC8291.authSecret });
    expect(JSON.parse(opened.toString("utf8"))).toEqual(body);
  });

  it("refuses a body the catalogue does not allow (too long for a lock screen)", async () => {
    const subscription = { endpoint: "https://fcm.googleapis.com/fcm/send/x", keys: { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret } };
    await expect(sealNotification(subscription, { ...body, body: "x".repeat(401) })).rejects.toThrow();
  });

  it("names a topic by a hash: at most 32 base64url characters, the same for the same tag", () => {
    expect(topicOf("a1")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(topicOf("a1")).toBe(topicOf("a1"));
    expect(topicOf("a1")).not.toBe(topicOf("a2"));
  });
});
