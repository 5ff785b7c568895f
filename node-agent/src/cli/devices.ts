import { deviceRows, renamePaired, revokePaired, type NodeAccess } from "../device-admin.js";
import { PairedDevices } from "../secure/paired-devices.js";
import { rotateDevice } from "../relay/api.js";
import { readNodeCredential } from "../relay/node-credential.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";
import type { CommandLine } from "./invocation.js";

export const devicesCommand: Command = {
  usage: `Usage: ora-agent devices [list] [--json]
       ora-agent devices revoke <device>
       ora-agent devices rotate <device>
       ora-agent devices rename <device> <new name>

Lists the devices paired with this PC: name, role, when paired, last seen at the
relay. <device> is a device id or a name. Revoking ends a device's access at once
(its live connections are closed, and this PC forgets its key). Rotating replaces
its relay credential: the device picks up the new one as it reconnects.`,
  options: { json: { type: "boolean" } },
  async run({ flags, positionals }) {
    const [action = "list", target, ...rest] = positionals;
    const { node, paired, config } = open(flags);
    if (action === "list") return list(node, paired, flags.json === true, config.cli);
    if (!target) throw new UserError(`which device? ${config.cli(`devices ${action}`)} <device> (see: ${config.cli("devices")})`);
    const id = resolve(paired, target);
    switch (action) {
      case "revoke":
        return revoke(node, paired, id, config.cli);
      case "rotate":
        await rotateDevice(node.relay, node.credential, id);
        process.stdout.write(`asked the relay to rotate ${id}'s credential; it takes effect when the device reconnects\n`);
        return 0;
      case "rename": {
        const name = rest.join(" ").trim();
        if (!name || name.length > 64) throw new UserError("the new name must be 1 to 64 characters");
        await renamePaired(node, paired, id, name);
        process.stdout.write(`renamed ${id} to "${name}"\n`);
        return 0;
      }
      default:
        throw new UserError(`unknown devices action "${action}": use list, revoke, rotate or rename`);
    }
  },
};

export const revokeCommand: Command = {
  usage: `Usage: ora-agent revoke <device>

Ends the device's access at once: the relay refuses its credential and closes its
live connections, and this PC forgets the device's key. <device> is an id or a name.`,
  async run({ flags, positionals }) {
    const [target] = positionals;
    const { node, paired, config } = open(flags);
    if (!target) throw new UserError(`which device? ${config.cli("revoke")} <device> (see: ${config.cli("devices")})`);
    return revoke(node, paired, resolve(paired, target), config.cli);
  },
};

function open(flags: Record<string, string | boolean | undefined>) {
  const config = configFrom(flags);
  const node = readNodeCredential(config.stateDir);
  if (!node) throw new UserError(`this PC is not registered yet (no node.json in ${config.stateDir}): run ${config.cli("start")} first`);
  return { node, paired: new PairedDevices(config.stateDir), config };
}

/** A device id, or the name of exactly one paired device. */
function resolve(paired: PairedDevices, target: string): string {
  const byName = paired.list().filter((d) => d.name.toLowerCase() === target.toLowerCase());
  if (byName.length > 1) throw new UserError(`${byName.length} devices are called "${target}": use the device id`);
  return byName[0]?.id ?? target;
}

async function revoke(node: NodeAccess, paired: PairedDevices, id: string, cli: CommandLine): Promise<number> {
  const known = paired.get(id) !== undefined;
  try {
    const { closedSessions } = await revokePaired(node, paired, id);
    process.stdout.write(`revoked ${id}; closed ${closedSessions} live connection(s)\n`);
    return 0;
  } catch (error) {
    if (!known || !(error instanceof UserError)) throw error;
    throw new UserError(
      `${error.message}\nThis PC has forgotten ${id}, so it can no longer use this secretary; run "${cli("revoke", id)}" again once the relay is reachable, so that the relay refuses its credential too.`,
      error.exitCode,
    );
  }
}

async function list(node: NodeAccess, paired: PairedDevices, json: boolean, cli: CommandLine): Promise<number> {
  const rows = await deviceRows(node, paired);
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write(`no devices yet: pair one with ${cli("pair")}\n`);
  else {
    const when = (t: string | null) => (t === null ? "never" : t.slice(0, 16).replace("T", " "));
    for (const r of rows) {
      process.stdout.write(
        `${r.id}  ${r.name.padEnd(20)} ${r.role.padEnd(9)} ${r.state.padEnd(8)} paired ${when(r.pairedAt)}  last seen ${when(r.lastSeen)}\n`,
      );
    }
  }
  return 0;
}
