/** The part of `http_ece` (RFC 8188 Encrypted Content-Encoding) the tests use as an independent oracle. */
declare module "http_ece" {
  import type { ECDH } from "node:crypto";

  interface Params {
    version: "aes128gcm";
    /** The receiver's key pair. */
    privateKey?: ECDH;
    /** base64url, or bytes. */
    authSecret?: string | Uint8Array;
    salt?: string | Uint8Array;
    dh?: string | Uint8Array;
    rs?: number;
  }
  /** Needs a Buffer (it reads the header with Buffer methods). */
  function decrypt(body: Buffer, params: Params): Buffer;
  function encrypt(body: Buffer, params: Params): Buffer;
}
