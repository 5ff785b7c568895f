/**
 * The Node's pending requests: in memory for the hot path, mirrored in SQLite so that an evicted
 * object wakes up knowing every request still owed an answer and when each one times out.
 *
 * The mirror is written behind: flush() (called by the alarm, at most FLUSH_MS after a change) writes
 * what changed since the last flush. A request answered before then never touches storage. Writing
 * on every request would cost a storage commit per event — workerd holds an event's outgoing messages
 * until its writes are durable — which measured 5× slower (docs/BENCH.md). Nothing is lost to
 * eviction: an object is only evicted after seconds without events, and the flush comes first.
 */
export interface PendingEntry {
  rid: number;
  sid: string;
  id: string;
  startedAt: number;
  deadline: number;
  streaming: boolean;
  /** Whether a row for this entry exists in SQLite (as of the last flush). */
  saved: boolean;
}

/** Relay ids are handed out in blocks so that a restart never reuses one without a write per request. */
const RID_BLOCK = 1024;

export class PendingTable {
  private readonly byRid = new Map<number, PendingEntry>();
  private readonly bySession = new Map<string, Map<string, number>>();
  /** Entries added or changed since the last flush. */
  private readonly changed = new Set<PendingEntry>();
  /** Saved rows whose entries have since been removed. */
  private readonly removed = new Set<number>();
  private nextRid: number;
  private ridBlockEnd: number;

  constructor(private readonly sql: SqlStorage) {
    for (const row of sql.exec<{ rid: number; sid: string; id: string; started_at: number; deadline: number; streaming: number }>(
      "SELECT rid, sid, id, started_at, deadline, streaming FROM pending",
    )) {
      this.index({ rid: row.rid, sid: row.sid, id: row.id, startedAt: row.started_at, deadline: row.deadline, streaming: row.streaming === 1, saved: true });
    }
    const stored = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'rid_block_end'").toArray()[0];
    this.nextRid = stored ? Number(stored.value) + 1 : 1;
    this.ridBlockEnd = this.nextRid - 1;
  }

  get size(): number {
    return this.byRid.size;
  }

  sessionCount(sid: string): number {
    return this.bySession.get(sid)?.size ?? 0;
  }

  has(sid: string, id: string): boolean {
    return this.bySession.get(sid)?.has(id) ?? false;
  }

  get(rid: number): PendingEntry | undefined {
    return this.byRid.get(rid);
  }

  find(sid: string, id: string): PendingEntry | undefined {
    const rid = this.bySession.get(sid)?.get(id);
    return rid === undefined ? undefined : this.byRid.get(rid);
  }

  entries(): IterableIterator<PendingEntry> {
    return this.byRid.values();
  }

  ofSession(sid: string): PendingEntry[] {
    const ids = this.bySession.get(sid);
    return ids ? [...ids.values()].map((rid) => this.byRid.get(rid)!) : [];
  }

  add(sid: string, id: string, now: number, deadline: number): PendingEntry {
    if (this.nextRid > this.ridBlockEnd) {
      this.ridBlockEnd = this.nextRid + RID_BLOCK - 1;
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('rid_block_end', ?)", String(this.ridBlockEnd));
    }
    const entry: PendingEntry = { rid: this.nextRid++, sid, id, startedAt: now, deadline, streaming: false, saved: false };
    this.index(entry);
    this.changed.add(entry);
    return entry;
  }

  /** A stream frame arrived: the timeout now measures idle time, up to the absolute cap. */
  touch(entry: PendingEntry, deadline: number): void {
    entry.deadline = deadline;
    entry.streaming = true;
    this.changed.add(entry);
  }

  remove(entry: PendingEntry): void {
    if (!this.byRid.delete(entry.rid)) return;
    const ids = this.bySession.get(entry.sid);
    ids?.delete(entry.id);
    if (ids?.size === 0) this.bySession.delete(entry.sid);
    this.changed.delete(entry);
    if (entry.saved) this.removed.add(entry.rid);
  }

  /** True when memory and SQLite differ. */
  get dirty(): boolean {
    return this.changed.size > 0 || this.removed.size > 0;
  }

  /** Brings the SQLite mirror up to date with memory. */
  flush(): void {
    for (const rid of this.removed) this.sql.exec("DELETE FROM pending WHERE rid = ?", rid);
    for (const e of this.changed) {
      this.sql.exec(
        "INSERT OR REPLACE INTO pending (rid, sid, id, started_at, deadline, streaming) VALUES (?, ?, ?, ?, ?, ?)",
        e.rid,
        e.sid,
        e.id,
        e.startedAt,
        e.deadline,
        e.streaming ? 1 : 0,
      );
      e.saved = true;
    }
    this.removed.clear();
    this.changed.clear();
  }

  earliestDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.byRid.values()) if (earliest === undefined || entry.deadline < earliest) earliest = entry.deadline;
    return earliest;
  }

  private index(entry: PendingEntry): void {
    this.byRid.set(entry.rid, entry);
    let ids = this.bySession.get(entry.sid);
    if (!ids) this.bySession.set(entry.sid, (ids = new Map()));
    ids.set(entry.id, entry.rid);
  }
}
