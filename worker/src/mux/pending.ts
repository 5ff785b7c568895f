/**
 * The Node's pending requests: plain data in memory for the hot path, mirrored in a MuxStore (SQLite in
 * the Durable Object) so that an evicted object wakes up knowing every request still owed an answer
 * and when each one times out.
 *
 * The mirror is written behind: flush() (called by the alarm, at most FLUSH_MS after a change) writes
 * what changed since the last flush. A request answered before then never touches storage. Writing
 * on every request would cost a storage commit per event — workerd holds an event's outgoing messages
 * until its writes are durable — which measured 5× slower (docs/BENCH.md). Nothing is lost to
 * eviction: an object is only evicted after seconds without events, and the flush comes first.
 */
import type { MuxStore, PendingRow } from "./ports.js";

export interface PendingEntry extends PendingRow {
  /** Whether the store holds this entry (as of the last flush). */
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

  constructor(private readonly store: MuxStore) {
    for (const entry of store.loadPending()) this.index({ ...entry, saved: true });
    this.nextRid = store.ridBlockEnd() + 1;
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
      this.store.reserveRids(this.ridBlockEnd);
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

  /** True when memory and the store differ. */
  get dirty(): boolean {
    return this.changed.size > 0 || this.removed.size > 0;
  }

  /** Brings the store's mirror up to date with memory. */
  flush(): void {
    if (!this.dirty) return;
    this.store.writePending(this.changed, this.removed);
    for (const e of this.changed) e.saved = true;
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
