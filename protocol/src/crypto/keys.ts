/**
 * Long-term X25519 identities. The agent and every paired device hold one; each side keeps the
 * other's public key from pairing on. A StaticKey only exposes Diffie-Hellman, so a platform can keep
 * the secret out of reach (the web client uses a non-extractable WebCrypto key); Node keeps it in a
 * 0600 file and uses noble.
 */
import { x25519 } from "@noble/curves/ed25519.js";

export const KEY_BYTES = 32;

export interface StaticKey {
  readonly publicKey: Uint8Array;
  dh(peerPublic: Uint8Array): Promise<Uint8Array>;
}

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateKeyPair(): KeyPair {
  return x25519.keygen();
}

/** A StaticKey over a secret held in memory. */
export function staticKey(secretKey: Uint8Array): StaticKey {
  const publicKey = x25519.getPublicKey(secretKey);
  return { publicKey, dh: async (peer) => dh(secretKey, peer) };
}

/** X25519, refusing low-order peer keys (an all-zero shared secret) as RFC 7748 §6.1 allows. */
export function dh(secretKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.length !== KEY_BYTES) throw new RangeError("an X25519 public key is 32 bytes");
  const shared = x25519.getSharedSecret(secretKey, peerPublic);
  if (shared.every((b) => b === 0)) throw new RangeError("low-order X25519 public key");
  return shared;
}
