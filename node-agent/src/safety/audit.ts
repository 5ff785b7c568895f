/**
 * The audit log: one row per request, policy decision, approval step and tool run, hash-chained,
 * written in group commits (the guarantee is on the Audit class below).
 * Each row stores prev_hash (the previous row's hash; 64 zeros for the first) and
 * hash = sha256(prev_hash ‖ canonical JSON of the row's fields, id included). Editing a row breaks its
 * hash, deleting one breaks the next row's prev_hash, swapping two breaks both (the id is hashed), and
 * `meta.audit_head` (written in the same transaction) shows when the newest rows were cut off.
 * Someone who can write the file can still rewrite the whole chain from the edit onwards: the chain
 * makes tampering evident to a verifier who kept an earlier head, it does not prevent it.
 */
import type Database from "better-sqlite3";
import { canonicalJson, sha256Hex } from "./canonical.js";
import type { Requester } from "./tool.js";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  /** request | policy | approval.* | run */
  event: string;
  who?: Requester;
  tool?: string;
  argsHash?: string;
  /** The outcome: ok, refused codes, approval statuses… */
  status: string;
  /** A short, safe note (an approval id, a refusal reason); never arguments or secrets. */
  detail?: string;
  durationMs?: number;
}

export interface AuditRow {
  id: number;
  at: number;
  event: string;
  device: string | null;
  role: string | null;
  user: string | null;
  via: string | null;
  session: string | null;
  tool: string | null;
  args_hash: string | null;
  status: string;
  detail: string | null;
  duration_ms: number | null;
  prev_hash: string;
  hash: string;
}

export type VerifyResult = { ok: true; rows: number } | { ok: false; rows: number; firstBadId: number; reason: string };

type Fields = Omit<AuditRow, "prev_hash" | "hash">;

export function rowHash(prevHash: string, fields: Fields): string {
  const { id, at, event, device, role, user, via, session, tool, args_hash, status, detail, duration_ms } = fields;
  return sha256Hex(prevHash + canonicalJson({ id, at, event, device, role, user, via, session, tool, args_hash, status, detail, duration_ms }));
}

/**
 * Events whose answer depends on their row: an approval, rule, task, lockdown or passkey step is never
 * reported before its row (and every row queued before it) is committed.
 */
const DURABLE_AT_ONCE = /^(approval|rule|task|lockdown|passkey)\./;

/** How long a queued row may wait for its group commit. */
export const AUDIT_FLUSH_MS = 5;

export interface AuditOptions {
  /** Told when a timed group commit fails (the rows stay queued and are tried again). */
  onError?: (error: unknown) => void;
}

type Queued = Omit<Fields, "id">;

/**
 * Rows are written in group commits, with this durability guarantee:
 * - a request's rows (request, policy, run, session, chat messages) are queued and committed, in order,
 *   in one transaction per batch, at most AUDIT_FLUSH_MS after the first of them was queued;
 * - approval, rule, task, lockdown and passkey rows are committed before record() returns, together
 *   with everything queued before them, so the answer that reports such a step always comes after its
 *   row (inside a caller's transaction, they commit with it);
 * - tail(), verify(), flush(), close() and a clean process exit write whatever is queued.
 * A crash (power loss, SIGKILL) can lose at most the last AUDIT_FLUSH_MS of request rows, never a
 * decision's. Ids and hashes are given at commit time, in the IMMEDIATE transaction, so another
 * process writing the same log (the CLI) never forks the chain.
 */
export class Audit {
  private readonly last: Database.Statement<[], { id: number; hash: string }>;
  private readonly byId: Database.Statement<[number], { hash: string }>;
  private readonly insert: Database.Statement<AuditRow>;
  private readonly head: Database.Statement<[string]>;
  private readonly write: (rows: Queued[]) => { id: number; hash: string };
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
    private readonly options: AuditOptions = {},
  ) {
    this.last = db.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    this.byId = db.prepare("SELECT hash FROM audit WHERE id = ?");
    this.insert = db.prepare(`INSERT INTO audit (id, at, event, device, role, user, via, session, tool, args_hash, status, detail, duration_ms, prev_hash, hash)
      VALUES (@id, @at, @event, @device, @role, @user, @via, @session, @tool, @args_hash, @status, @detail, @duration_ms, @prev_hash, @hash)`);
    this.head = db.prepare("INSERT INTO meta (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    // IMMEDIATE: take the write lock before reading the chain's end, so two writers never fork it.
    this.write = db.transaction((rows: Queued[]) => {
      let { id, hash } = this.last.get() ?? { id: 0, hash: GENESIS_HASH };
      for (const row of rows) {
        const fields: Fields = { id: id + 1, ...row };
        const prev_hash = hash;
        hash = rowHash(prev_hash, fields);
        id = fields.id;
        this.insert.run({ ...fields, prev_hash, hash });
      }
      this.head.run(`${id}:${hash}`);
      return { id, hash };
    }).immediate;
    open.add(this);
  }

  /** Appends one row: queued for the next group commit, or committed at once for a decision's step. */
  record(entry: AuditEntry): void {
    this.queue.push({
      at: this.now(),
      event: entry.event,
      device: entry.who?.device ?? null,
      role: entry.who?.role ?? null,
      user: entry.who?.user ?? null,
      via: entry.who?.via ?? null,
      session: entry.who?.session ?? null,
      tool: entry.tool ?? null,
      args_hash: entry.argsHash ?? null,
      status: entry.status,
      detail: entry.detail?.slice(0, 500) ?? null,
      duration_ms: entry.durationMs === undefined ? null : Math.round(entry.durationMs),
    });
    if (this.closed || DURABLE_AT_ONCE.test(entry.event)) this.commit(true);
    else this.timer ??= setTimeout(() => this.timed(), AUDIT_FLUSH_MS);
  }

  /** Commits every queued row in one transaction (throws, keeping them queued, when it cannot). */
  flush(): void {
    this.commit(false);
  }

  /** `own`: the newest queued row is the caller's step, rolled back with the caller's transaction. */
  private commit(own: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    const rows = this.queue;
    this.queue = [];
    const inside = this.db.inTransaction;
    let end: { id: number; hash: string };
    try {
      end = this.write(rows);
    } catch (error) {
      this.queue = [...rows, ...this.queue];
      throw error;
    }
    // Inside a caller's transaction the rows commit with it; should it roll back, the rows queued by
    // others go back in the queue (the caller's own step is rolled back with what it recorded).
    if (inside) queueMicrotask(() => this.recheck(own ? rows.slice(0, -1) : rows, end));
  }

  /** Flushes and stops queueing: rows recorded afterwards are written at once. */
  close(): void {
    this.closed = true;
    open.delete(this);
    if (this.db.open) this.flush();
  }

  /** The newest `limit` rows, oldest first. */
  tail(limit = 50): AuditRow[] {
    this.flush();
    return this.db.prepare<[number], AuditRow>("SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id").all(limit);
  }

  verify(): VerifyResult {
    this.flush();
    return verifyChain(this.db);
  }

  private timed(): void {
    this.timer = undefined;
    try {
      this.flush();
    } catch (error) {
      this.options.onError?.(error);
      this.timer ??= setTimeout(() => this.timed(), AUDIT_FLUSH_MS);
    }
  }

  private recheck(others: Queued[], end: { id: number; hash: string }): void {
    if (others.length === 0 || !this.db.open) return;
    if (this.byId.get(end.id)?.hash === end.hash) return;
    this.queue = [...others, ...this.queue];
    this.timer ??= setTimeout(() => this.timed(), AUDIT_FLUSH_MS);
  }
}

/** Every Audit not closed yet: a clean exit (process.exit included) commits what they queued. */
const open = new Set<Audit>();
process.on("exit", () => {
  for (const audit of open) {
    try {
      audit.close();
    } catch {
      // The database was closed under it or is locked: nothing more can be done while exiting.
    }
  }
});

/** Walks the chain in id order; needs only read access (the CLI verifies without the agent). */
export function verifyChain(db: Database.Database): VerifyResult {
  let prev = GENESIS_HASH;
  let rows = 0;
  let lastId = 0;
  for (const row of db.prepare<[], AuditRow>("SELECT * FROM audit ORDER BY id").iterate()) {
    rows++;
    if (row.id !== lastId + 1) return { ok: false, rows, firstBadId: row.id, reason: `row ${lastId + 1} is missing` };
    if (row.prev_hash !== prev)
      return { ok: false, rows, firstBadId: row.id, reason: "its link to the previous row is broken (a row was deleted, edited or moved)" };
    if (rowHash(row.prev_hash, row) !== row.hash)
      return { ok: false, rows, firstBadId: row.id, reason: "its content does not match its hash (the row was edited)" };
    prev = row.hash;
    lastId = row.id;
  }
  const head = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'audit_head'").get()?.value;
  if (head !== undefined && head !== `${lastId}:${prev}`) {
    const headId = Number(head.split(":")[0]);
    return {
      ok: false,
      rows,
      firstBadId: lastId + 1,
      reason: `the log ends at row ${lastId} but its head says ${headId} (newest rows were removed or the head was changed)`,
    };
  }
  return { ok: true, rows };
}
