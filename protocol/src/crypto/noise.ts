/**
 * Noise_KK_25519_ChaChaPoly_SHA256, exactly as the Noise Protocol Framework (revision 34) defines it,
 * and nothing more: the KK pattern, X25519, ChaCha20-Poly1305 and SHA-256. Section numbers below are
 * the specification's. The published test vectors (cacophony) check it byte for byte
 * (test/protocol/noise.test.ts).
 *
 *   KK:
 *     -> s
 *     <- s
 *     ...
 *     -> e, es, ss
 *     <- e, ee, se
 *
 * Both static keys are known before the handshake (ORA's pairing exchanged them), the two messages
 * carry one ephemeral key each, and Split gives one key per direction. The local static key is a
 * StaticKey (DH only), so a platform may keep its secret out of reach.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { dh, generateKeyPair, KEY_BYTES, type KeyPair, type StaticKey } from "./keys.js";

export const NOISE_KK_PROTOCOL_NAME = "Noise_KK_25519_ChaChaPoly_SHA256";
const HASH_LEN = 32;
const TAG_BYTES = 16;
/** §3: no Noise message exceeds 65535 bytes. */
const MAX_MESSAGE_BYTES = 65535;
const MAX_NONCE = 2n ** 64n - 1n; // §5.1: reserved, never used
const EMPTY = new Uint8Array(0);

/** A Noise message that does not parse or does not authenticate, or a handshake used out of turn. */
export class NoiseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoiseError";
  }
}

/** §5.1 CipherState: a key (or none yet) and a 64-bit nonce that counts every use. */
export class CipherState {
  private n = 0n;

  constructor(private k: Uint8Array | undefined = undefined) {}

  hasKey(): boolean {
    return this.k !== undefined;
  }

  /** InitializeKey: a new key restarts the nonce. */
  initializeKey(key: Uint8Array): void {
    this.k = key;
    this.n = 0n;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext;
    const ciphertext = chacha20poly1305(this.k, this.nextNonce(), ad).encrypt(plaintext);
    this.n++;
    return ciphertext;
  }

  /** Throws NoiseError when the ciphertext does not authenticate; the nonce then stays where it was. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext;
    let plaintext: Uint8Array;
    try {
      plaintext = chacha20poly1305(this.k, this.nextNonce(), ad).decrypt(ciphertext);
    } catch {
      throw new NoiseError("a Noise ciphertext failed authentication");
    }
    this.n++;
    return plaintext;
  }

  /** §12.3 ChaChaPoly: 32 bits of zeros ‖ the 64-bit nonce, little-endian. */
  private nextNonce(): Uint8Array {
    if (this.n >= MAX_NONCE) throw new NoiseError("a Noise CipherState ran out of nonces");
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setBigUint64(4, this.n, true);
    return nonce;
  }
}

/** §5.2 SymmetricState: the chaining key and the handshake hash, and the CipherState they feed. */
export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  private readonly cipher = new CipherState();

  constructor(protocolName: string) {
    const name = utf8ToBytes(protocolName);
    // InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded, a longer one hashed.
    if (name.length <= HASH_LEN) {
      this.h = new Uint8Array(HASH_LEN);
      this.h.set(name);
    } else this.h = sha256(name);
    this.ck = this.h.slice();
  }

  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = noiseHkdf(this.ck, inputKeyMaterial);
    this.ck = ck;
    this.cipher.initializeKey(tempK); // HASHLEN is 32: no truncation
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concatBytes(this.h, data));
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  hasKey(): boolean {
    return this.cipher.hasKey();
  }

  handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  /** Split: the initiator→responder key and the responder→initiator key. */
  split(): [Uint8Array, Uint8Array] {
    const keys = noiseHkdf(this.ck, EMPTY);
    this.ck.fill(0);
    return keys;
  }
}

/**
 * §4.3 HKDF(chaining_key, input_key_material, 2): temp_key = HMAC(ck, ikm), output1 = HMAC(temp_key,
 * 0x01), output2 = HMAC(temp_key, output1 ‖ 0x02). That is RFC 5869's HKDF-SHA-256 with the chaining
 * key as salt, no info and 64 bytes of output, split in two.
 */
function noiseHkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = hkdf(sha256, inputKeyMaterial, chainingKey, EMPTY, 2 * HASH_LEN);
  return [okm.slice(0, HASH_LEN), okm.slice(HASH_LEN)];
}

type Token = "e" | "es" | "ss" | "ee" | "se";
/** §7.5 KK's two messages after its pre-messages `-> s` and `<- s`. */
const KK_MESSAGES: readonly (readonly Token[])[] = [
  ["e", "es", "ss"],
  ["e", "ee", "se"],
];

export interface KKOptions {
  initiator: boolean;
  prologue: Uint8Array;
  /** This side's long-term key. */
  s: StaticKey;
  /** The other side's long-term public key, known beforehand: what makes it KK. */
  rs: Uint8Array;
  /** For known-answer tests only: a fixed ephemeral key pair. Anything else must leave this out. */
  e?: KeyPair;
}

export interface KKResult {
  /** The key this side sends with, and the key it receives with (Split's two, by role). */
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
  handshakeHash: Uint8Array;
}

/** §5.3 HandshakeState for KK: write and read the two messages in turn, then split. */
export class KKHandshake {
  private readonly symmetric = new SymmetricState(NOISE_KK_PROTOCOL_NAME);
  private readonly initiator: boolean;
  private readonly s: StaticKey;
  private readonly rs: Uint8Array;
  private e: KeyPair | undefined;
  private re: Uint8Array | undefined;
  private next = 0;
  /** Set when a message failed or the handshake was split: nothing more may happen on it. */
  private over: string | undefined;

  constructor(options: KKOptions) {
    if (options.rs.length !== KEY_BYTES) throw new NoiseError("a remote static key is 32 bytes");
    this.initiator = options.initiator;
    this.s = options.s;
    this.rs = options.rs;
    this.e = options.e;
    this.symmetric.mixHash(options.prologue);
    // Pre-messages, in the pattern's order: the initiator's static key, then the responder's.
    this.symmetric.mixHash(this.initiator ? this.s.publicKey : this.rs);
    this.symmetric.mixHash(this.initiator ? this.rs : this.s.publicKey);
  }

  /** WriteMessage: this side's next message, carrying `payload` (encrypted: every KK message is). */
  async writeMessage(payload: Uint8Array): Promise<Uint8Array> {
    const tokens = this.turn(true);
    if (payload.length > MAX_MESSAGE_BYTES - KEY_BYTES - TAG_BYTES) throw this.fail(new NoiseError("a Noise message is at most 65535 bytes"));
    const out: Uint8Array[] = [];
    try {
      for (const token of tokens) {
        if (token === "e") {
          this.e ??= generateKeyPair();
          out.push(this.e.publicKey);
          this.symmetric.mixHash(this.e.publicKey);
        } else this.symmetric.mixKey(await this.dhFor(token));
      }
    } catch (error) {
      throw this.fail(error);
    }
    out.push(this.symmetric.encryptAndHash(payload));
    return concatBytes(...out);
  }

  /** ReadMessage: the other side's next message; returns its payload, or throws NoiseError. */
  async readMessage(message: Uint8Array): Promise<Uint8Array> {
    const tokens = this.turn(false);
    if (message.length > MAX_MESSAGE_BYTES || message.length < KEY_BYTES + TAG_BYTES) {
      throw this.fail(new NoiseError("a Noise handshake message has the wrong length"));
    }
    let at = 0;
    try {
      for (const token of tokens) {
        if (token === "e") {
          this.re = message.slice(at, at + KEY_BYTES);
          at += KEY_BYTES;
          this.symmetric.mixHash(this.re);
        } else this.symmetric.mixKey(await this.dhFor(token));
      }
      return this.symmetric.decryptAndHash(message.subarray(at));
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Split, once both messages have passed: the transport keys, by role, and the handshake hash. */
  split(): KKResult {
    if (this.over || this.next !== KK_MESSAGES.length) throw new NoiseError(`the Noise handshake is ${this.over ?? "not complete"}`);
    this.over = "split already"; // once: Split wipes the chaining key
    const handshakeHash = this.symmetric.handshakeHash();
    const [initiatorToResponder, responderToInitiator] = this.symmetric.split();
    this.e?.secretKey.fill(0); // forward secrecy: the ephemeral secret is not needed any more
    return this.initiator
      ? { sendKey: initiatorToResponder, receiveKey: responderToInitiator, handshakeHash }
      : { sendKey: responderToInitiator, receiveKey: initiatorToResponder, handshakeHash };
  }

  /** Ends the handshake for good; a low-order key (keys.ts dh refuses it) reads as any other failure. */
  private fail(error: unknown): NoiseError {
    this.over = "failed";
    this.e?.secretKey.fill(0);
    return error instanceof NoiseError ? error : new NoiseError("a Noise handshake key was refused");
  }

  /** The tokens of the next message, if it is this side's turn to write (or read) it. */
  private turn(writing: boolean): readonly Token[] {
    if (this.over) throw new NoiseError(`the Noise handshake is ${this.over}`);
    const tokens = KK_MESSAGES[this.next];
    // Message 0 is the initiator's, message 1 the responder's.
    const writer = this.next % 2 === 0 ? this.initiator : !this.initiator;
    if (!tokens || writer !== writing) throw new NoiseError("a Noise handshake message out of turn");
    this.next++;
    return tokens;
  }

  /** §7.3 DH tokens: the first letter is the initiator's key, the second the responder's. */
  private async dhFor(token: Exclude<Token, "e">): Promise<Uint8Array> {
    const e = this.e;
    const re = this.re;
    const mine = token[this.initiator ? 0 : 1];
    const theirs = token[this.initiator ? 1 : 0];
    const remote = theirs === "e" ? re : this.rs;
    if (!remote) throw new NoiseError("a Noise handshake has no remote ephemeral key yet");
    if (mine === "s") return this.s.dh(remote);
    if (!e) throw new NoiseError("a Noise handshake has no local ephemeral key yet");
    return dh(e.secretKey, remote);
  }
}
