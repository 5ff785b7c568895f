/** This PC's registration with its relay: done once per state directory, then read from node.json and the secret store. */
import { UserError } from "../errors.js";
import { registerNode } from "./api.js";
import type { NodeCredentialFile } from "../state.js";
import { openSecrets } from "../safety/secrets.js";
import { readNodeCredential, writeNodeCredential } from "./node-credential.js";

export async function loadOrRegister(relay: string, stateDir: string): Promise<NodeCredentialFile> {
  const secrets = openSecrets(stateDir);
  const saved = readNodeCredential(stateDir, secrets);
  if (saved) {
    if (saved.relay !== relay) {
      throw new UserError(`this state directory belongs to the relay ${saved.relay}; use --relay ${saved.relay} or another --state-dir`);
    }
    return saved;
  }
  // Before registering: a credential the relay issued and nothing could store would be lost.
  if (!secrets.chosen()) throw secrets.unusable();
  process.stdout.write(`ora-agent: registering this PC with ${relay}…\n`);
  const { nodeId, credential } = await registerNode(relay, process.env.ORA_REGISTRATION_SECRET);
  const file = { relay, nodeId, credential, registeredAt: new Date().toISOString() };
  writeNodeCredential(stateDir, file, secrets);
  return file;
}
