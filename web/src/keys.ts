/**
 * The device's long-term X25519 key. Where the browser has WebCrypto X25519 the private key is
 * generated non-extractable: scripts on this origin can use it (deriveBits) but can never read it,
 * so even an XSS cannot copy it off the device. Without X25519 we fall back to noble with the key's
 * bytes in IndexedDB, and the UI says so.
 */
import { generateKeyPair, KEY_BYTES, staticKey, type StaticKey } from "@ora/protocol";

export type StoredKey = { kind: "webcrypto"; privateKey: CryptoKey; publicKey: Uint8Array } | { kind: "bytes"; secretKey: Uint8Array };

const X25519 = { name: "X25519" } as const;

export async function newDeviceKey(): Promise<StoredKey> {
  try {
    const pair = (await crypto.subtle.generateKey(X25519, false, ["deriveBits"])) as CryptoKeyPair;
    const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    return { kind: "webcrypto", privateKey: pair.privateKey, publicKey };
  } catch {
    return { kind: "bytes", secretKey: generateKeyPair().secretKey };
  }
}

/** True when this browser can hold the key non-extractable (WebCrypto X25519). */
export async function keyIsProtected(): Promise<boolean> {
  return (await newDeviceKey()).kind === "webcrypto";
}

export function staticKeyOf(stored: StoredKey): StaticKey {
  if (stored.kind === "bytes") return staticKey(stored.secretKey);
  return {
    publicKey: stored.publicKey,
    async dh(peerPublic) {
      if (peerPublic.length !== KEY_BYTES) throw new RangeError("an X25519 public key is 32 bytes");
      const peer = await crypto.subtle.importKey("raw", new Uint8Array(peerPublic), X25519, false, []);
      const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "X25519", public: peer }, stored.privateKey, 256));
      // Same rule as the noble path (keys.ts): a low-order peer key gives all zeros and is refused.
      if (shared.every((b) => b === 0)) throw new RangeError("low-order X25519 public key");
      return shared;
    },
  };
}
