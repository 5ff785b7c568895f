/**
 * The session AEAD: XChaCha20-Poly1305 with the nonce 0¹⁶ ‖ seq (crypto/session.ts), done fast.
 *
 * XChaCha20-Poly1305 is ChaCha20-Poly1305 (RFC 8439) under a subkey HChaCha20(key, nonce[0..16])
 * with the nonce 0⁴ ‖ nonce[16..24] (draft-irtf-cfrg-xchacha §2.3). Our nonces all start with the
 * same 16 zero bytes, so a session's subkey is one HChaCha20 computed once, and each frame is a plain
 * ChaCha20-Poly1305: native in Node (OpenSSL, through process.getBuiltinModule so that no bundler or
 * browser sees a node: import), noble everywhere else. The bytes are exactly XChaCha20-Poly1305's:
 * the native path is checked against noble when first used and dropped if they disagree, and the
 * tests compare the whole construction with noble's and libsodium's xchacha20poly1305.
 */
import { chacha20poly1305, hchacha } from "@noble/ciphers/chacha.js";
import { concatBytes } from "@noble/ciphers/utils.js";

export interface SessionAead {
  /**
   * ciphertext ‖ tag of the plaintext (or of its parts, one after the other: sealed as one, never
   * copied together first), after `headroom` bytes left free for the caller (none by default).
   */
  seal(seq: Uint8Array, plaintext: Uint8Array | readonly Uint8Array[], headroom?: number): Uint8Array;
  /** Throws when the ciphertext does not authenticate. */
  open(seq: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

const TAG_BYTES = 16;
// "expand 32-byte k", as ChaCha's four constant words.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/** HChaCha20(key, 0¹⁶): the subkey every frame of a session is sealed with. */
function subkeyFor(key: Uint8Array): Uint8Array {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const k = new Uint32Array(8);
  for (let i = 0; i < 8; i++) k[i] = view.getUint32(i * 4, true);
  const out = new Uint32Array(8);
  hchacha(SIGMA, k, new Uint32Array(4), out);
  const subkey = new Uint8Array(32);
  const outView = new DataView(subkey.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, out[i]!, true);
  return subkey;
}

/** RFC 8439's 12-byte nonce for a frame: 0⁴ ‖ seq. */
function nonceFor(seq: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce.set(seq, 4);
  return nonce;
}

function nobleAead(subkey: Uint8Array): SessionAead {
  return {
    seal(seq, plaintext, headroom = 0) {
      const whole = plaintext instanceof Uint8Array ? plaintext : concatBytes(...plaintext);
      const out = new Uint8Array(headroom + whole.length + TAG_BYTES);
      chacha20poly1305(subkey, nonceFor(seq)).encrypt(whole, out.subarray(headroom));
      return out;
    },
    open: (seq, ciphertext) => chacha20poly1305(subkey, nonceFor(seq)).decrypt(ciphertext),
  };
}

interface NodeCipher {
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): void;
}
interface NodeCrypto {
  createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeCipher;
  createDecipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options: { authTagLength: number }): NodeCipher;
}

function nodeAead(crypto: NodeCrypto, subkey: Uint8Array): SessionAead {
  const options = { authTagLength: TAG_BYTES };
  return {
    seal(seq, plaintext, headroom = 0) {
      const cipher = crypto.createCipheriv("chacha20-poly1305", subkey, nonceFor(seq), options);
      const pieces = plaintext instanceof Uint8Array ? [cipher.update(plaintext)] : plaintext.map((part) => cipher.update(part));
      pieces.push(cipher.final());
      let length = 0;
      for (const piece of pieces) length += piece.length;
      const out = new Uint8Array(headroom + length + TAG_BYTES);
      let at = headroom;
      for (const piece of pieces) {
        out.set(piece, at);
        at += piece.length;
      }
      out.set(cipher.getAuthTag(), at);
      return out;
    },
    open(seq, ciphertext) {
      if (ciphertext.length < TAG_BYTES) throw new Error("ciphertext too short");
      const decipher = crypto.createDecipheriv("chacha20-poly1305", subkey, nonceFor(seq), options);
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES));
      const body = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES));
      const tail = decipher.final(); // throws when the tag does not match
      if (tail.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      const out = new Uint8Array(body.length + tail.length);
      out.set(body);
      out.set(tail, body.length);
      return out;
    },
  };
}

let native: NodeCrypto | null | undefined;

/** Node's crypto when it has ChaCha20-Poly1305 and agrees with noble byte for byte; null otherwise. */
function nativeCrypto(): NodeCrypto | null {
  if (native !== undefined) return native;
  native = null;
  try {
    const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    const crypto = getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
    if (!crypto?.createCipheriv) return native;
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const seq = new Uint8Array([0, 0, 0, 0, 0, 0, 1, 2]);
    const text = new Uint8Array(100).map((_, i) => i);
    const ours = nodeAead(crypto, key).seal(seq, text);
    const reference = nobleAead(key).seal(seq, text);
    if (ours.length === reference.length && ours.every((b, i) => b === reference[i])) native = crypto;
  } catch {
    native = null;
  }
  return native;
}

export function sessionAead(key: Uint8Array, options: { native?: boolean } = {}): SessionAead {
  const subkey = subkeyFor(key);
  const crypto = options.native === false ? null : nativeCrypto();
  return crypto ? nodeAead(crypto, subkey) : nobleAead(subkey);
}
