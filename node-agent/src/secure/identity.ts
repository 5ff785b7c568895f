/**
 * The agent's long-term X25519 key: devices learn its public half at pairing and, from then on,
 * accept only an agent that proves it holds the secret half. Kept in the profile's state directory,
 * 0600, created on first use.
 */
import { fromBase64Url, generateKeyPair, staticKey, toBase64Url, type StaticKey } from "@ora/protocol";
import { join } from "node:path";
import { z } from "zod";
import { readJson, writePrivateJson } from "../state.js";

const IdentityFile = z.object({ publicKey: z.string(), secretKey: z.string(), createdAt: z.string() });

export const identityPath = (dir: string) => join(dir, "identity.json");

export function loadOrCreateIdentity(stateDir: string): StaticKey {
  const saved = readJson(identityPath(stateDir), IdentityFile);
  const secret = saved ? fromBase64Url(saved.secretKey) : null;
  if (saved && secret?.length === 32) return staticKey(secret);
  const pair = generateKeyPair();
  writePrivateJson(identityPath(stateDir), {
    publicKey: toBase64Url(pair.publicKey),
    secretKey: toBase64Url(pair.secretKey),
    createdAt: new Date().toISOString(),
  });
  return staticKey(pair.secretKey);
}
