/**
 * The terminal client's own state: one paired device (its long-term secret key, relay credential and
 * the agent's public key) in `device.json`, 0600 in a 0700 directory of its own, apart from any agent
 * profile on the same machine.
 */
import { fromBase64Url, staticKey, toBase64Url, type DeviceIdentity, type PairingGrant } from "@ora/protocol";
import { join } from "node:path";
import { z } from "zod";
import { dataHome } from "../config.js";
import { ensureStateDir, readJson, writePrivateJson } from "../state.js";

const DeviceFile = z.object({
  relay: z.string(),
  node: z.string(),
  device: z.string(),
  name: z.string(),
  role: z.string(),
  credential: z.string(),
  secretKey: z.string(),
  agentPublicKey: z.string(),
  pairedAt: z.string(),
});
export type DeviceFile = z.infer<typeof DeviceFile>;

export function remoteDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.ORA_REMOTE_DIR ?? join(dataHome(env), "ora", "remote");
}

const devicePath = (dir: string) => join(dir, "device.json");

export function readDevice(dir: string): DeviceFile | null {
  return readJson(devicePath(dir), DeviceFile);
}

export function saveDevice(dir: string, grant: PairingGrant, relay: string, secretKey: Uint8Array): DeviceFile {
  ensureStateDir(dir);
  const file: DeviceFile = {
    relay,
    node: grant.node,
    device: grant.device,
    name: grant.name,
    role: grant.role,
    credential: grant.credential,
    secretKey: toBase64Url(secretKey),
    agentPublicKey: grant.agentPublicKey,
    pairedAt: new Date().toISOString(),
  };
  writePrivateJson(devicePath(dir), file);
  return file;
}

export function updateCredential(dir: string, credential: string): void {
  const file = readDevice(dir);
  if (file) writePrivateJson(devicePath(dir), { ...file, credential });
}

export function identityOf(file: DeviceFile): DeviceIdentity {
  const secret = fromBase64Url(file.secretKey);
  const agentPublicKey = fromBase64Url(file.agentPublicKey);
  if (secret?.length !== 32 || agentPublicKey?.length !== 32) throw new Error("device.json holds malformed keys");
  return { relay: file.relay, device: file.device, credential: file.credential, key: staticKey(secret), agentPublicKey };
}
