import { listDevices, revokeDevice } from "../relay-api.js";
import { readCredential } from "../state.js";
import { UserError } from "./errors.js";
import { configFrom, type Command } from "./main.js";

export const devicesCommand: Command = {
  summary: "list this Node's devices, or revoke one (devices revoke <id>)",
  usage: `Usage: ora-agent devices [list] [--json]
       ora-agent devices revoke <device-id>

Lists the devices that may reach this PC through the relay, with role and last
seen. Revoking ends a device's access at once: its live connections are closed.`,
  options: { json: { type: "boolean" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const node = readCredential(config.stateDir);
    if (!node) throw new UserError("this PC is not registered yet: run ora-agent start first");
    const [action = "list", id] = positionals;
    if (action === "revoke") {
      if (!id) throw new UserError("which device? ora-agent devices revoke <device-id>");
      const { closedSessions } = await revokeDevice(node.relay, node.credential, id);
      process.stdout.write(`revoked ${id}; closed ${closedSessions} live connection(s)\n`);
      return 0;
    }
    if (action !== "list") throw new UserError(`unknown devices action "${action}": use list or revoke`);
    const devices = await listDevices(node.relay, node.credential);
    if (flags.json) process.stdout.write(JSON.stringify(devices, null, 2) + "\n");
    else if (devices.length === 0) process.stdout.write("no devices yet\n");
    else {
      const when = (t: number | null) => (t === null ? "never" : new Date(t).toISOString().slice(0, 16).replace("T", " "));
      for (const d of devices) {
        const state = d.revokedAt !== null ? "revoked" : d.expiresAt !== null && d.expiresAt < Date.now() ? "expired" : "active";
        process.stdout.write(`${d.id}  ${d.name.padEnd(20)} ${d.role.padEnd(9)} ${state.padEnd(8)} last seen ${when(d.lastSeen)}\n`);
      }
    }
    return 0;
  },
};
