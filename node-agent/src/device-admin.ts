/**
 * Managing paired devices, shared by `ora-agent devices` and the owner's relay methods
 * (methods/devices.ts): the relay holds credentials and last-seen times, this PC's PairedDevices
 * holds names, roles and keys, and every change is made in both.
 */
import type { ClosedSessions, Device, Role } from "@ora/protocol";
import type { PairedDevice, PairedDevices } from "./secure/paired-devices.js";
import { listDevices, renameDevice, revokeDevice } from "./relay/api.js";

/** Where the relay is and the Node credential that lets this PC manage its devices there. */
export interface NodeAccess {
  relay: string;
  credential: string;
}

export type DeviceState = "active" | "revoked" | "expired" | "unpaired";

export interface DeviceRow {
  id: string;
  name: string;
  role: Role;
  state: DeviceState;
  pairedAt: string | null;
  lastSeen: string | null;
}

/** Every device the relay knows for this Node, with this PC's name and role where it has them. */
export async function deviceRows(node: NodeAccess, paired: PairedDevices): Promise<DeviceRow[]> {
  const local = new Map(paired.list().map((d) => [d.id, d]));
  return (await listDevices(node.relay, node.credential)).map((d) => row(d, local.get(d.id)));
}

/**
 * Ends a device's access: this PC forgets its key first — which alone ends what the device can do
 * here, even if the relay cannot be reached — then the relay refuses its credential and closes its
 * sockets.
 */
export async function revokePaired(node: NodeAccess, paired: PairedDevices, id: string): Promise<ClosedSessions> {
  paired.remove(id);
  return revokeDevice(node.relay, node.credential, id);
}

export async function renamePaired(node: NodeAccess, paired: PairedDevices, id: string, name: string): Promise<void> {
  await renameDevice(node.relay, node.credential, id, name);
  paired.rename(id, name);
}

function row(d: Device, local: PairedDevice | undefined): DeviceRow {
  const state = d.revokedAt !== null ? "revoked" : d.expiresAt !== null && d.expiresAt < Date.now() ? "expired" : local ? "active" : "unpaired";
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: d.id,
    name: local?.name ?? d.name,
    role: local?.role ?? d.role,
    state,
    pairedAt: local?.pairedAt ?? iso(d.createdAt),
    lastSeen: iso(d.lastSeen),
  };
}
