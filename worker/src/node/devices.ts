/**
 * The Node's client devices: what the relay knows of each (never its credential, only a keyed hash),
 * and the credential's lifecycle (docs/THREAT_MODEL.md, docs/PROTOCOL.md): idle and absolute expiry,
 * rotation with a short grace for the previous credential, revocation.
 */
import type { Device, Role } from "@ora/protocol";
import { mintCredential, sameSecret } from "../credentials.js";
import { randomId } from "../encoding.js";
import type { CredentialConfig } from "../env.js";
import type { Rotation } from "../mux/ports.js";

export type { Device };

/**
 * After a rotation the previous credential keeps working this long, unless the new one is used
 * first: long enough for a client to store the new credential and reconnect with it, short enough
 * that a credential captured before the rotation soon dies.
 */
export const ROTATION_GRACE_MS = 10 * 60_000;
const HOUR_MS = 3600_000;

type DeviceRow = {
  id: string;
  token_hash: string;
  name: string;
  role: Role;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_seen: number | null;
  prev_hash: string | null;
  prev_until: number | null;
  issued_at: number | null;
  rotate_due: number;
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
  constructor(
    private readonly sql: SqlStorage,
    private readonly config: CredentialConfig,
  ) {}

  /**
   * Creates a device and its credential; the credential is returned once and stored only as a hash.
   * Every device has an absolute expiry: ORA_DEVICE_MAX_DAYS unless the owner asks for less.
   */
  async mint(nodeId: string, pepper: string, input: { name: string; role: Role; expiresInSec?: number }): Promise<Device & { credential: string }> {
    const now = Date.now();
    const { credential, hash } = await mintCredential("device", nodeId, pepper);
    const lifetime = Math.min(this.config.maxMs, (input.expiresInSec ?? Infinity) * 1000);
    const device: Device = { id: randomId(), name: input.name, role: input.role, createdAt: now, expiresAt: now + lifetime, revokedAt: null, lastSeen: null };
    this.sql.exec(
      "INSERT INTO devices (id, token_hash, name, role, created_at, expires_at, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      device.id,
      hash,
      device.name,
      device.role,
      now,
      device.expiresAt,
      now,
    );
    return { ...device, credential };
  }

  /** Whether a lifetime asked for at minting is within what the relay allows. */
  lifetimeAllowed(expiresInSec: number | undefined): boolean {
    return expiresInSec === undefined || expiresInSec * 1000 <= this.config.maxMs;
  }

  list(): Device[] {
    return this.sql.exec<DeviceRow>("SELECT * FROM devices ORDER BY created_at").toArray().map(toDevice);
  }

  /**
   * The device a presented credential (by its keyed hash) may connect as, or null. The current hash
   * or, during a rotation's grace, the previous one; either is compared in constant time. The first
   * use of the new credential ends the grace of the old one. Refused: revoked, past the absolute
   * expiry, or unused for longer than the idle limit.
   */
  async authenticate(hash: string, now: number): Promise<Device | null> {
    const row = this.sql.exec<DeviceRow>("SELECT * FROM devices WHERE token_hash = ? OR prev_hash = ?", hash, hash).toArray()[0];
    if (!row) return null;
    const current = await sameSecret(row.token_hash, hash);
    if (!current && !(row.prev_hash !== null && (await sameSecret(row.prev_hash, hash)) && (row.prev_until ?? 0) > now)) return null;
    if (row.revoked_at !== null) return null;
    if (now >= (row.expires_at ?? row.created_at + this.config.maxMs)) return null;
    if (now - (row.last_seen ?? row.issued_at ?? row.created_at) >= this.config.idleMs) return null;
    if (current && row.prev_hash !== null) this.sql.exec("UPDATE devices SET prev_hash = NULL, prev_until = NULL WHERE id = ?", row.id);
    return toDevice(row);
  }

  /** Connects and disconnects only: never per frame. */
  seen(id: string, at: number): void {
    this.sql.exec("UPDATE devices SET last_seen = ? WHERE id = ?", at, id);
  }

  /** True when the device's credential should be rotated: old enough, or the owner asked. */
  rotationDue(id: string, now: number): boolean {
    const row = this.sql
      .exec<{ issued_at: number | null; created_at: number; rotate_due: number }>("SELECT issued_at, created_at, rotate_due FROM devices WHERE id = ?", id)
      .toArray()[0];
    return row !== undefined && (row.rotate_due === 1 || now - (row.issued_at ?? row.created_at) >= this.config.rotateMs);
  }

  /**
   * Replaces the device's credential with a fresh one. The previous one stays valid until the new
   * one is first used or ROTATION_GRACE_MS pass; a credential from before an earlier rotation dies now.
   */
  async rotate(id: string, nodeId: string, pepper: string, now: number): Promise<Rotation> {
    this.sql.exec("DELETE FROM rotations WHERE at <= ?", now - HOUR_MS);
    const recent = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM rotations WHERE device = ?", id).one().n;
    if (recent >= this.config.rotationsPerHour) return { ok: false, code: "rate_limited" };
    const { credential, hash } = await mintCredential("device", nodeId, pepper);
    const written = this.sql.exec(
      `UPDATE devices SET prev_hash = token_hash, prev_until = ?, token_hash = ?, issued_at = ?, rotate_due = 0
       WHERE id = ? AND revoked_at IS NULL`,
      now + ROTATION_GRACE_MS,
      hash,
      now,
      id,
    ).rowsWritten;
    if (written === 0) return { ok: false, code: "unauthorized" };
    this.sql.exec("INSERT INTO rotations (device, at) VALUES (?, ?)", id, now);
    return { ok: true, credential };
  }

  /** The owner asks for a rotation at the device's next connection; false for no such active device. */
  requestRotation(id: string): boolean {
    return this.sql.exec("UPDATE devices SET rotate_due = 1 WHERE id = ? AND revoked_at IS NULL", id).rowsWritten > 0;
  }

  rename(id: string, name: string): Device | null {
    const row = this.sql.exec<DeviceRow>("UPDATE devices SET name = ? WHERE id = ? AND revoked_at IS NULL RETURNING *", name, id).toArray()[0];
    return row ? toDevice(row) : null;
  }

  /** Marks the device revoked; false when there is no such device or it was already revoked. */
  revoke(id: string, at: number): boolean {
    return this.sql.exec("UPDATE devices SET revoked_at = ?, prev_hash = NULL, prev_until = NULL WHERE id = ? AND revoked_at IS NULL", at, id).rowsWritten > 0;
  }
}
