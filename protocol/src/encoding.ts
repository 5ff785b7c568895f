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

export function toBase64Url(bytes: Uint8Array): string {
  if (native) return (bytes as NativeBytes).toBase64!({ alphabet: "base64url", omitPadding: true });
  // A view over the same memory, not a copy.
  if (Buffer) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Strict base64url (no padding, canonical last character); null for anything else. Checked by
 * decoding and encoding again: the one text that encodes the decoded bytes is the only one accepted,
 * which refuses every other character, padding, whitespace, the standard alphabet and stray low bits
 * at once. An encode and a compare cost about a third of a regex over the whole text (64 KiB payloads).
 */
export function fromBase64Url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  let bytes: Uint8Array;
  try {
    const from = (Uint8Array as NativeFrom).fromBase64;
    if (from) bytes = from(text, { alphabet: "base64url", lastChunkHandling: "loose" });
    else if (Buffer) {
      // A plain Uint8Array over the Buffer's memory, no copy: a Buffer's slice() would share its bytes.
      const buffer = Buffer.from(text, "base64url");
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } else bytes = Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  } catch {
    return null; // the native and portable decoders throw on a character outside the alphabet
  }
  // A decoder that skipped a character gives fewer bytes: refused before encoding anything.
  if (bytes.length !== Math.floor((text.length * 3) / 4)) return null;
  return toBase64Url(bytes) === text ? bytes : null;
}
