/**
 * base64url without padding, the one text encoding of bytes on ORA's wire (keys, ciphertexts,
 * credentials). Decoding is strict and canonical: anything else is refused rather than guessed at.
 */
type NativeBytes = Uint8Array & { toBase64?: (options: object) => string };
type NativeFrom = { fromBase64?: (text: string, options: object) => Uint8Array };
type NodeBuffer = {
  from(data: string, encoding: string): Uint8Array;
  from(data: ArrayBufferLike, byteOffset: number, length: number): Uint8Array & { toString(encoding: string): string };
};

// Fast paths where the platform has one (Node's Buffer, the TC39 base64 methods in new browsers);
// a portable btoa/atob path otherwise. All three produce identical text.
const Buffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;
const native = (Uint8Array.prototype as NativeBytes).toBase64 !== undefined;
const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function toBase64Url(bytes: Uint8Array): string {
  if (native) return (bytes as NativeBytes).toBase64!({ alphabet: "base64url", omitPadding: true });
  // A view over the same memory, not a copy.
  if (Buffer) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Strict base64url (no padding, canonical last character); null for anything else. */
export function fromBase64Url(text: string): Uint8Array | null {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return null;
  let bytes: Uint8Array;
  const from = (Uint8Array as NativeFrom).fromBase64;
  if (from) bytes = from(text, { alphabet: "base64url", lastChunkHandling: "loose" });
  else if (Buffer)
    bytes = Buffer.from(text, "base64url"); // a Buffer is a Uint8Array: no copy
  else bytes = Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  // A last character with stray low bits decodes to the same bytes as the canonical one; refuse it.
  // Only a final partial group has spare bits, so only it needs encoding again.
  const whole = Math.floor(bytes.length / 3);
  if (bytes.length % 3 === 0) return text.length === whole * 4 ? bytes : null;
  return toBase64Url(bytes.subarray(whole * 3)) === text.slice(whole * 4) ? bytes : null;
}
