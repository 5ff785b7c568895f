/**
 * The mux core's persistence and records in the Node's SQLite (schema.ts): the pending table's
 * mirror, the relay-id blocks, the counters and the current agent connection; devices and the audit
 * trail for the connections it opens and closes.
 */
import type { MuxRecords, MuxStore, PendingRow } from "../mux/ports.js";
import { sourceTag, type AuditLog } from "./audit.js";
import type { DeviceStore } from "./devices.js";
import type { MetaStore } from "./meta.js";

type PendingSqlRow = { rid: number; sid: string; id: string; started_at: number; deadline: number; streaming: number };

export class SqlMuxStore implements MuxStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: MetaStore,
  ) {}

  loadPending(): PendingRow[] {
    return this.sql
      .exec<PendingSqlRow>("SELECT rid, sid, id, started_at, deadline, streaming FROM pending")
      .toArray()
      .map((row) => ({ rid: row.rid, sid: row.sid, id: row.id, startedAt: row.started_at, deadline: row.deadline, streaming: row.streaming === 1 }));
  }

  ridBlockEnd(): number {
    return Number(this.meta.get("rid_block_end") ?? 0);
  }

  reserveRids(blockEnd: number): void {
    this.meta.set("rid_block_end", String(blockEnd));
  }

  writePending(changed: Iterable<PendingRow>, removed: Iterable<number>): void {
    for (const rid of removed) this.sql.exec("DELETE FROM pending WHERE rid = ?", rid);
    for (const e of changed) {
      this.sql.exec(
        "INSERT OR REPLACE INTO pending (rid, sid, id, started_at, deadline, streaming) VALUES (?, ?, ?, ?, ?, ?)",
        e.rid,
        e.sid,
        e.id,
        e.startedAt,
        e.deadline,
        e.streaming ? 1 : 0,
      );
    }
  }

  loadCounters() {
    const saved = this.meta.get("metrics");
    return saved ? JSON.parse(saved) : null;
  }

  saveCounters(counters: object): void {
    this.meta.set("metrics", JSON.stringify(counters));
  }

  currentAgent(): string | null {
    return this.meta.get("agent_conn");
  }

  setCurrentAgent(conn: string | null): void {
    if (conn === null) this.meta.delete("agent_conn");
    else this.meta.set("agent_conn", conn);
  }
}

/** Connections are audited as metadata only (audit.ts); a device's last-seen moves on connect and close. */
export function nodeRecords(devices: DeviceStore, audit: AuditLog, nodeId: () => string, pepper: string): MuxRecords {
  return {
    nodeId,
    agentConnected: (source) => audit.record("agent_connect", null, sourceTag(source)),
    agentDisconnected: (code) => audit.record("agent_disconnect", null, `code=${code}`),
    clientConnected(device, source, at) {
      devices.seen(device.id, at);
      audit.record("client_connect", device.id, `role=${device.role} ${sourceTag(source)}`);
    },
    clientDisconnected(deviceId, code, at) {
      audit.record("client_disconnect", deviceId, `code=${code}`);
      devices.seen(deviceId, at);
    },
    rotationDue: (deviceId, at) => devices.rotationDue(deviceId, at),
    async rotate(deviceId, at) {
      const result = await devices.rotate(deviceId, nodeId(), pepper, at);
      if (result.ok) audit.record("credential_rotated", deviceId);
      return result;
    },
  };
}
