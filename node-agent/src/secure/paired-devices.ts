/**
 * The devices this PC has paired with, as the agent knows them: name, role and long-term public key.
 * This list, not the relay, decides who a device is and what role it has: the relay's word is only
 * used for routing. `ora-agent pair` adds to it and `ora-agent revoke` removes from it while the agent
 * runs in another process, so the agent re-reads the file whenever it changed.
 *
 * Every instance for one file shares one parsed copy, keyed by id with its key decoded: a write in this
 * process drops it for all of them at once. A change by another process is caught by one stat per lookup (about 1 µs,
 * no allocation, no exception when the file is missing), compared with the copy's: a device revoked
 * elsewhere stops counting at the very next request. A file-change watcher would save that stat but
 * reports asynchronously, which leaves a window in which a revoked device still counts.
 */
import { DeviceId, fromBase64Url, Role } from "@ora/protocol";
import { type Stats, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { readJson, writePrivateJson } from "../state.js";

export const PairedDevice = z.object({
  id: DeviceId,
  name: z.string().max(64),
  role: Role,
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  pairedAt: z.string(),
});
export type PairedDevice = z.infer<typeof PairedDevice>;
const DevicesFile = z.object({ devices: z.array(PairedDevice) });

type KnownDevice = PairedDevice & { key: Uint8Array };

/** One parsed devices.json and the stat it was read under. */
interface Snapshot {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  devices: PairedDevice[];
  byId: Map<string, KnownDevice>;
}

const MISSING = { ino: -1, size: -1, mtimeMs: -1, ctimeMs: -1 };
const snapshots = new Map<string, Snapshot>();

function snapshot(stat: Pick<Stats, "ino" | "size" | "mtimeMs" | "ctimeMs">, devices: PairedDevice[]): Snapshot {
  const byId = new Map<string, KnownDevice>();
  for (const device of devices) {
    const key = fromBase64Url(device.publicKey);
    if (key) byId.set(device.id, { ...device, key });
  }
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, devices, byId };
}

export class PairedDevices {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = resolve(stateDir, "devices.json");
  }

  list(): PairedDevice[] {
    return [...this.current().devices];
  }

  get(id: string): KnownDevice | undefined {
    return this.current().byId.get(id);
  }

  add(device: PairedDevice): void {
    this.write([...this.list().filter((d) => d.id !== device.id), device]);
  }

  /** True when the device was known. */
  remove(id: string): boolean {
    const before = this.list();
    const after = before.filter((d) => d.id !== id);
    if (after.length !== before.length) this.write(after);
    return after.length !== before.length;
  }

  rename(id: string, name: string): boolean {
    const devices = this.list();
    const device = devices.find((d) => d.id === id);
    if (device) this.write(devices.map((d) => (d.id === id ? { ...d, name } : d)));
    return device !== undefined;
  }

  private write(devices: PairedDevice[]): void {
    writePrivateJson(this.path, { devices });
    // Read back at the next lookup, not stored from here: a stat taken now could already be another
    // process's newer file, which would then pass for this content.
    snapshots.delete(this.path);
  }

  private current(): Snapshot {
    const stat = statSync(this.path, { throwIfNoEntry: false }) ?? MISSING;
    const known = snapshots.get(this.path);
    if (known && known.ino === stat.ino && known.size === stat.size && known.mtimeMs === stat.mtimeMs && known.ctimeMs === stat.ctimeMs) return known;
    const fresh = snapshot(stat, stat === MISSING ? [] : (readJson(this.path, DevicesFile)?.devices ?? []));
    snapshots.set(this.path, fresh);
    return fresh;
  }
}
