/**
 * What a passkey challenge binds. The challenge the authenticator signs is
 * sha256(nonce ‖ canonical JSON of the binding): the nonce is random, kept on this PC and used once;
 * the binding names the purpose, the device, this Node and, for an approval, its id, the hash of its
 * exact arguments and its expiry. An assertion made for one approval therefore cannot confirm another,
 * nor the same approval after its arguments changed, nor anything on another Node.
 */
import { createHash, randomBytes } from "node:crypto";
import { canonicalJson } from "../safety/canonical.js";

export interface Binding {
  purpose: "register" | "approve" | "unlock";
  device: string;
  node: string;
  /** The approval id for "approve"; empty otherwise. */
  subject: string;
  argsHash: string;
  /** When what the challenge confirms stops counting (an approval's expiry); 0 when it has none. */
  until: number;
}

export function newNonce(): string {
  return randomBytes(32).toString("base64url");
}

/** The base64url challenge for `nonce` and `binding`: what the browser hands the authenticator to sign. */
export function challengeFor(nonce: string, binding: Binding): string {
  const bound = canonicalJson({ v: 1, ...binding });
  return createHash("sha256").update(Buffer.from(nonce, "base64url")).update(bound).digest("base64url");
}
