import { toBase64Url } from "@ora/protocol";

// One base64url for the whole project (strict, canonical decoding): the protocol's.
export { fromBase64Url, toBase64Url } from "@ora/protocol";

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A random id for sessions and devices: 128 bits, base64url. */
export function randomId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(16)));
}
