/**
 * Paired devices, for owner devices: list, revoke, rename. The agent acts at the relay with its own
 * Node credential, which never leaves the PC; a device only asks.
 */
import * as z from "zod/mini";
import { DeviceId } from "../frames.js";
import { method, OWNERS } from "./define.js";
import { DeviceRow } from "./schemas.js";

export const deviceMethods = {
  "devices.list": method({
    description: "The devices paired with this PC: name, role, state, last seen; `self` marks the caller.",
    roles: OWNERS,
    params: z.unknown(),
    result: z.object({ devices: z.array(z.extend(DeviceRow, { self: z.boolean() })) }),
  }),
  "devices.revoke": method({
    description: "Ends a device's access at once: the relay closes its connections and this PC forgets its key.",
    roles: OWNERS,
    params: z.object({ id: DeviceId }),
    result: z.object({ closedSessions: z.number().check(z.int()) }),
  }),
  "devices.rename": method({
    description: "Renames a paired device, here and at the relay.",
    roles: OWNERS,
    params: z.object({ id: DeviceId, name: z.string().check(z.trim(), z.minLength(1), z.maxLength(64)) }),
    result: z.object({ id: DeviceId, name: z.string() }),
  }),
};
