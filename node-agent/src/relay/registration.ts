/** This PC's registration with its relay: done once per state directory, then read from node.json. */
import { UserError } from "../errors.js";
import { registerNode } from "./api.js";
import { readCredential, writeCredential, type NodeCredentialFile } from "../state.js";

export async function loadOrRegister(relay: string, stateDir: string): Promise<NodeCredentialFile> {
  const saved = readCredential(stateDir);
  if (saved) {
    if (saved.relay !== relay) {
      throw new UserError(`this state directory belongs to the relay ${saved.relay}; use --relay ${saved.relay} or another --state-dir`);
    }
    return saved;
  }
  process.stdout.write(`ora-agent: registering this PC with ${relay}…\n`);
  const { nodeId, credential } = await registerNode(relay, process.env.ORA_REGISTRATION_SECRET);
  const file = { relay, nodeId, credential, registeredAt: new Date().toISOString() };
  writeCredential(stateDir, file);
  return file;
}
