/** The Node's client devices: what the relay knows of each (never its credential, only a keyed hash). */
import type { Device, Role } from "@ora/protocol";

export type { Device };
import { mintCredential } from "../credentials.js";
import { randomId } from "../encoding.js";


type DeviceRow = {
  id: string;
  token_hash: string;
  name: string;
  role: Role;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_seen: number | null;
};

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastSeen: row.last_seen,
  };
}

export class DeviceStore {
  constructor(private readonly sql: SqlStorage) {}

  private insert(device: Omit<Device, "revokedAt" | "lastSeen">, hash: string): void {
    this.sql.exec(
      "INSERT INTO devices (id, token_hash, name, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      device.id,
      hash,
      device.name,
      device.role,
      device.createdAt,
      device.expiresAt,
    );
  }

  /** Creates a device and its credential; the credential is returned once and stored only as a hash. */
  async mint(nodeId: string, pepper: string, input: { name: string; role: Role; expiresInSec?: number }): Promise<Device & { credential: string }> {
    const now = Date.now();
    const { credential, hash } = await mintCredential("device", nodeId, pepper);
    const device = {
      id: randomId(),
      name: input.name,
      role: input.role,
      createdAt: now,
      expiresAt: input.expiresInSec === undefined ? null : now + input.expiresInSec * 1000,
    };
    this.insert(device, hash);
    return { ...device, revokedAt: null, lastSeen: null, credential };
  }

  list(): Device[] {
    return this.sql.exec<DeviceRow>("SELECT * FROM devices ORDER BY created_at").toArray().map(toDevice);
  }

  /** The device whose credential hashes to `hash`, with its stored hash for a constant-time check. */
  byHash(hash: string): { device: Device; storedHash: string } | undefined {
    const row = this.sql.exec<DeviceRow>("SELECT * FROM devices WHERE token_hash = ?", hash).toArray()[0];
    return row && { device: toDevice(row), storedHash: row.token_hash };
  }

  seen(id: string, at: number): void {
    this.sql.exec("UPDATE devices SET last_seen = ? WHERE id = ?", at, id);
  }

  /** Marks the device revoked; false when there is no such device or it was already revoked. */
  revoke(id: string, at: number): boolean {
    return this.sql.exec("UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id).rowsWritten > 0;
  }
}
