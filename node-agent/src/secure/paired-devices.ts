/**
 * The devices this PC has paired with, as the agent knows them: name, role and long-term public key.
 * This list, not the relay, decides who a device is and what role it has: the relay's word is only
 * used for routing. `ora-agent pair` adds to it and `ora-agent revoke` removes from it while the agent
 * runs in another process, so the agent re-reads the file whenever it changed.
 */
import { DeviceId, fromBase64Url, Role } from "@ora/protocol";
import { statSync } from "node:fs";
import { join } from "node:path";
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

export class PairedDevices {
  private cache: PairedDevice[] = [];
  private stamp = "";

  constructor(private readonly stateDir: string) {}

  get path(): string {
    return join(this.stateDir, "devices.json");
  }

  list(): PairedDevice[] {
    this.refresh();
    return [...this.cache];
  }

  get(id: string): (PairedDevice & { key: Uint8Array }) | undefined {
    const device = this.list().find((d) => d.id === id);
    const key = device && fromBase64Url(device.publicKey);
    return device && key ? { ...device, key } : undefined;
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
    this.stamp = "";
  }

  private refresh(): void {
    let stamp: string;
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      stamp = "none";
    }
    if (stamp === this.stamp) return;
    this.cache = readJson(this.path, DevicesFile)?.devices ?? [];
    this.stamp = stamp;
  }
}
