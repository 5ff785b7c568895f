/**
 * Paired devices over the relay, for owner devices only: list (role, last seen), revoke, rename. The
 * agent does it with its own Node credential, which never leaves the PC; a device only asks. The
 * same operations back `ora-agent devices` (device-admin.ts).
 */
import { DeviceId } from "@ora/protocol";
import { z } from "zod";
import { UserError } from "../errors.js";
import { deviceRows, renamePaired, revokePaired, type NodeAccess } from "../device-admin.js";
import type { PairedDevices } from "../secure/paired-devices.js";
import { HandlerError, type HandlerContext, type HandlerRegistry } from "../handlers.js";

export function registerDeviceMethods(registry: HandlerRegistry, node: NodeAccess, paired: PairedDevices): void {
  registry
    .register("devices.list", {
      description: "The devices paired with this PC: name, role, state, last seen; `self` marks the caller (owners only).",
      params: z.unknown(),
      run: async (_params, context) => {
        ownerOnly(context);
        const rows = await relayCall(() => deviceRows(node, paired));
        return { devices: rows.map((row) => ({ ...row, self: row.id === context.device })) };
      },
    })
    .register("devices.revoke", {
      description: "Ends a device's access at once: the relay closes its connections and this PC forgets its key (owners only).",
      params: z.object({ id: DeviceId }),
      run: async ({ id }, context) => {
        ownerOnly(context);
        await known(node, paired, id);
        return relayCall(() => revokePaired(node, paired, id));
      },
    })
    .register("devices.rename", {
      description: "Renames a paired device, here and at the relay (owners only).",
      params: z.object({ id: DeviceId, name: z.string().trim().min(1).max(64) }),
      run: async ({ id, name }, context) => {
        ownerOnly(context);
        await known(node, paired, id);
        await relayCall(() => renamePaired(node, paired, id, name));
        return { id, name };
      },
    });
}

function ownerOnly(context: HandlerContext): void {
  if (context.role !== "owner") throw new HandlerError("forbidden", "only an owner device may manage devices");
}

async function known(node: NodeAccess, paired: PairedDevices, id: string): Promise<void> {
  const rows = await relayCall(() => deviceRows(node, paired));
  if (!rows.some((row) => row.id === id && row.state !== "revoked")) throw new HandlerError("not_found", `no active device ${id}`);
}

/** The relay API's refusals are written for people (relay-api.ts); pass them on as such. */
async function relayCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UserError) throw new HandlerError("failed", error.message);
    throw error;
  }
}
