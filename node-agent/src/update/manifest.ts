/**
 * The release manifest: which ora-agent versions exist, where each one's npm tarball is and the
 * tarball's integrity hash, signed with the project's release key (release-key.ts). `ora-agent
 * update` installs nothing the manifest does not name, and trusts the manifest only once its
 * signature verifies.
 *
 * The file is an envelope around the signed text, so that nobody has to agree on how to re-serialise
 * JSON before checking a signature:
 *
 *     {"format":"ora-release-manifest/1",
 *      "signed":"{\"product\":\"ora-agent\",\"published\":\"2026-12-01T09:00:00Z\",
 *                 \"versions\":[{\"version\":\"0.2.0\",\"tarball\":\"https://…/ora-agent-0.2.0.tgz\",
 *                                \"integrity\":\"sha512-…\"}]}",
 *      "signature":"<base64url Ed25519 signature over SIGNING_CONTEXT + signed, as UTF-8>"}
 *
 * The signature is checked over the exact bytes of `signed` before any of it is parsed. The context
 * prefix keeps a signature made with the release key for anything else from passing as a manifest.
 * `integrity` is npm's own (Subresource Integrity, sha512), as `npm view ora-agent@<v> dist.integrity`
 * prints it; `tarball` may be relative to the manifest's URL.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { AgentVersion, compareAgentVersions, fromBase64Url, toBase64Url } from "@ora/protocol";
import { z } from "zod";
import { UserError } from "../errors.js";

export const MANIFEST_FORMAT = "ora-release-manifest/1";
export const SIGNING_CONTEXT = "ORA release manifest v1\n";

/** npm's integrity string for a sha512: 64 bytes in standard base64, padded. */
const Integrity = z.string().regex(/^sha512-[A-Za-z0-9+/]{86}==$/, "not a sha512 integrity string");

export const Release = z.object({ version: AgentVersion, tarball: z.string().min(1).max(2048), integrity: Integrity });
export type Release = z.infer<typeof Release>;

/** What the release key signs. */
export const ReleaseList = z.object({
  product: z.literal("ora-agent"),
  /** When the list was signed (ISO 8601): shown to the user, so that a stale copy can be noticed. */
  published: z.string().max(64),
  versions: z.array(Release).min(1).max(10_000),
});
export type ReleaseList = z.infer<typeof ReleaseList>;

const Envelope = z.object({ format: z.literal(MANIFEST_FORMAT), signed: z.string().max(4 * 1024 * 1024), signature: z.string().max(128) });

const encoder = new TextEncoder();
const signedBytes = (signed: string) => encoder.encode(SIGNING_CONTEXT + signed);

/** Signs a release list (scripts/sign-release.mjs): the manifest file's text. */
export function signManifest(list: ReleaseList, secretKey: Uint8Array): string {
  const signed = JSON.stringify(ReleaseList.parse(list));
  const signature = toBase64Url(ed25519.sign(signedBytes(signed), secretKey));
  return `${JSON.stringify({ format: MANIFEST_FORMAT, signed, signature }, null, 2)}\n`;
}

/** The release list in a manifest, once its signature verifies with `publicKey`; a UserError otherwise. */
export function verifyManifest(text: string, publicKey: Uint8Array): ReleaseList {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError("the release manifest is not JSON", 1);
  }
  const envelope = Envelope.safeParse(raw);
  if (!envelope.success) throw new UserError(`the release manifest is not in the ${MANIFEST_FORMAT} format`, 1);
  const signature = fromBase64Url(envelope.data.signature);
  let valid = false;
  try {
    valid = signature !== null && signature.length === 64 && ed25519.verify(signature, signedBytes(envelope.data.signed), publicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new UserError("the release manifest's signature does not verify with the ORA release key; nothing was installed", 1);
  let list: unknown;
  try {
    list = JSON.parse(envelope.data.signed);
  } catch {
    throw new UserError("the release manifest is signed but its release list is not JSON", 1);
  }
  const parsed = ReleaseList.safeParse(list);
  if (!parsed.success) throw new UserError("the release manifest is signed but its release list is not one this agent understands", 1);
  return parsed.data;
}

/** The newest release, or the one named `wanted`; undefined when the manifest has no such version. */
export function chooseRelease(list: ReleaseList, wanted?: string): Release | undefined {
  const candidates = wanted === undefined ? list.versions : list.versions.filter((r) => compareAgentVersions(r.version, wanted) === 0);
  return candidates.reduce<Release | undefined>((best, r) => (best === undefined || compareAgentVersions(r.version, best.version) > 0 ? r : best), undefined);
}

/** npm's integrity string (SRI sha512) of some bytes. */
export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${Buffer.from(sha512(bytes)).toString("base64")}`;
}

/** A base64url Ed25519 public key as bytes; throws when it is not 32 bytes. */
export function publicKeyFrom(text: string): Uint8Array {
  const key = fromBase64Url(text);
  if (key === null || key.length !== 32) throw new Error("a release public key is 32 bytes of base64url");
  return key;
}
