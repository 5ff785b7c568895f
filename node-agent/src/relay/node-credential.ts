/**
 * The Node credential: node.json keeps the registration (relay, nodeId, registeredAt) and the
 * credential itself is a secret in the profile's secret store (safety/secrets.ts).
 */
import { UserError } from "../errors.js";
import { NODE_CREDENTIAL_SECRET } from "../safety/secret-store.js";
import { openSecrets, type Secrets } from "../safety/secrets.js";
import { nodeFilePath, type NodeCredentialFile, readNodeFile, writeNodeFile } from "../state.js";

/** The registration with its credential; null when this PC is not registered. */
export function readNodeCredential(stateDir: string, secrets: Secrets = openSecrets(stateDir)): NodeCredentialFile | null {
  const node = readNodeFile(stateDir);
  if (!node) return null;
  const credential = secrets.get(NODE_CREDENTIAL_SECRET);
  if (credential === undefined) {
    const keychain = secrets.report().keychain;
    const unreachable = keychain.usable ? "" : ` (the OS keychain, ${keychain.name}, is not usable here: ${keychain.reason})`;
    throw new UserError(
      `${nodeFilePath(stateDir)} says this PC is registered, but its Node credential is in none of this profile's secret stores${unreachable}; unlock the keychain, or move node.json away to register again`,
    );
  }
  return { relay: node.relay, nodeId: node.nodeId, registeredAt: node.registeredAt, credential };
}

/** The secret first: node.json exists only once the credential it goes with is stored. */
export function writeNodeCredential(stateDir: string, value: NodeCredentialFile, secrets: Secrets = openSecrets(stateDir)): void {
  secrets.set(NODE_CREDENTIAL_SECRET, value.credential);
  writeNodeFile(stateDir, { relay: value.relay, nodeId: value.nodeId, registeredAt: value.registeredAt });
}
