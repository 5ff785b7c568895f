/**
 * Paired devices over the relay, for owner devices only (the catalogue says so): list (role, last
 * seen), revoke, rename. The agent does it with its own Node credential, which never leaves the PC; a
 * device only asks. The same operations back `ora-agent devices` (device-admin.ts).
 */
import { deviceRows, renamePaired, revokePaired, type NodeAccess } from "../device-admin.js";
import { UserError } from "../errors.js";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import type { PairedDevices } from "../secure/paired-devices.js";

export function registerDeviceMethods(registry: HandlerRegistry, node: NodeAccess, paired: PairedDevices): void {
  registry
    .register("devices.list", async (_params, { requester }) => {
      const rows = await relayCall(() => deviceRows(node, paired));
      return { devices: rows.map((row) => ({ ...row, self: row.id === requester.device })) };
    })
    .register("devices.revoke", async ({ id }) => {
      await known(node, paired, id);
      return relayCall(() => revokePaired(node, paired, id));
    })
    .register("devices.rename", async ({ id, name }) => {
      await known(node, paired, id);
      await relayCall(() => renamePaired(node, paired, id, name));
      return { id, name };
    });
}

async function known(node: NodeAccess, paired: PairedDevices, id: string): Promise<void> {
  const rows = await relayCall(() => deviceRows(node, paired));
  if (!rows.some((row) => row.id === id && row.state !== "revoked")) throw new HandlerError("not_found", `no active device ${id}`);
}

/** The relay API's refusals are written for people (relay/api.ts); pass them on as such. */
async function relayCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UserError) throw new HandlerError("failed", error.message);
    throw error;
  }
}
