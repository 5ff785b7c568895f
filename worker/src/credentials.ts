/**
 * Relay credentials: `ora_<kind>_<base64url(nodeId ‖ secret ‖ tag)>`.
 *
 * - nodeId (16 bytes) lets the Worker route to the Node's Durable Object;
 * - secret (32 bytes, 256 bits of randomness) is what makes the credential unguessable;
 * - tag (8 bytes) is an HMAC over kind ‖ nodeId ‖ secret under a key derived from the pepper. The
 *   Worker checks it before touching any Durable Object, so a made-up credential (or a made-up node
 *   id) is refused at the edge and never reaches storage.
 *
 * The relay stores only keyedHash(credential) = HMAC-SHA256(hash key, credential). The pepper is a
 * Worker secret (ORA_TOKEN_PEPPER), so a stolen database alone cannot be turned back into credentials
 * or checked against guesses. Comparisons use crypto.subtle.timingSafeEqual.
 */
import { CREDENTIAL_KINDS, type CredentialKind } from "@ora/protocol";
import { fromBase64Url, toBase64Url, toHex } from "./encoding.js";

const NODE_ID_BYTES = 16;
const SECRET_BYTES = 32;
const TAG_BYTES = 8;
const BODY_BYTES = NODE_ID_BYTES + SECRET_BYTES + TAG_BYTES;

export interface OpenedCredential {
  nodeId: string;
  /** base64url of the keyed hash, the only form in which the credential is stored. */
  hash: string;
}

interface Keys {
  tag: CryptoKey;
  hash: CryptoKey;
}

const keyCache = new Map<string, Promise<Keys>>();

function keys(pepper: string): Promise<Keys> {
  let cached = keyCache.get(pepper);
  if (!cached) {
    cached = (async () => {
      const root = await hmacKey(new TextEncoder().encode(pepper));
      const derive = async (label: string) => hmacKey(new Uint8Array(await sign(root, label)));
      return { tag: await derive("ora/credential-tag/v1"), hash: await derive("ora/credential-hash/v1") };
    })();
    keyCache.set(pepper, cached);
  }
  return cached;
}

function hmacKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function sign(key: CryptoKey, data: string | Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", key, typeof data === "string" ? new TextEncoder().encode(data) : data);
}

async function tagOf(k: Keys, kind: CredentialKind, idAndSecret: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(1 + idAndSecret.length);
  input[0] = kind === "node" ? 1 : 2;
  input.set(idAndSecret, 1);
  return new Uint8Array(await sign(k.tag, input)).slice(0, TAG_BYTES);
}

export function newNodeId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(NODE_ID_BYTES)));
}

export function isNodeId(text: string): boolean {
  return /^[0-9a-f]{32}$/.test(text);
}

export async function mintCredential(kind: CredentialKind, nodeId: string, pepper: string): Promise<{ credential: string; hash: string }> {
  const k = await keys(pepper);
  const body = new Uint8Array(BODY_BYTES);
  body.set(hexToBytes(nodeId), 0);
  body.set(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)), NODE_ID_BYTES);
  body.set(await tagOf(k, kind, body.subarray(0, NODE_ID_BYTES + SECRET_BYTES)), NODE_ID_BYTES + SECRET_BYTES);
  const credential = CREDENTIAL_KINDS[kind] + toBase64Url(body);
  return { credential, hash: await keyedHash(credential, pepper) };
}

/** Checks shape and tag; returns where the credential routes and its stored form, or null. */
export async function openCredential(text: string, kind: CredentialKind, pepper: string): Promise<OpenedCredential | null> {
  const prefix = CREDENTIAL_KINDS[kind];
  if (!text.startsWith(prefix) || text.length > prefix.length + 100) return null;
  const body = fromBase64Url(text.slice(prefix.length));
  if (!body || body.length !== BODY_BYTES) return null;
  const k = await keys(pepper);
  const expected = await tagOf(k, kind, body.subarray(0, NODE_ID_BYTES + SECRET_BYTES));
  if (!crypto.subtle.timingSafeEqual(expected, body.subarray(NODE_ID_BYTES + SECRET_BYTES))) return null;
  return { nodeId: toHex(body.subarray(0, NODE_ID_BYTES)), hash: await keyedHash(text, pepper) };
}

export async function keyedHash(text: string, pepper: string): Promise<string> {
  return toBase64Url(new Uint8Array(await sign((await keys(pepper)).hash, text)));
}

/** Constant-time equality of two stored hashes (or any two strings), whatever their lengths. */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(a)),
    crypto.subtle.digest("SHA-256", new TextEncoder().encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
