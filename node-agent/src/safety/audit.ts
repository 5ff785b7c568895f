/**
 * The audit log: one row per request, policy decision, approval step and tool run, hash-chained.
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

export class Audit {
  private readonly last: Database.Statement<[], { id: number; hash: string }>;
  private readonly insert: Database.Statement<AuditRow>;
  private readonly head: Database.Statement<[string]>;
  private readonly write: (entry: AuditEntry) => number;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.last = db.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    this.insert = db.prepare(`INSERT INTO audit (id, at, event, device, role, user, via, session, tool, args_hash, status, detail, duration_ms, prev_hash, hash)
      VALUES (@id, @at, @event, @device, @role, @user, @via, @session, @tool, @args_hash, @status, @detail, @duration_ms, @prev_hash, @hash)`);
    this.head = db.prepare("INSERT INTO meta (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    // IMMEDIATE: take the write lock before reading the chain's end, so two writers never fork it.
    this.write = db.transaction((entry: AuditEntry) => {
      const last = this.last.get();
      const prev_hash = last?.hash ?? GENESIS_HASH;
      const fields: Fields = {
        id: (last?.id ?? 0) + 1,
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
      };
      const hash = rowHash(prev_hash, fields);
      this.insert.run({ ...fields, prev_hash, hash });
      this.head.run(`${fields.id}:${hash}`);
      return fields.id;
    }).immediate;
  }

  /** Appends one row; returns its id. */
  record(entry: AuditEntry): number {
    return this.write(entry);
  }

  /** The newest `limit` rows, oldest first. */
  tail(limit = 50): AuditRow[] {
    return this.db.prepare<[number], AuditRow>("SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id").all(limit);
  }

  verify(): VerifyResult {
    return verifyChain(this.db);
  }
}

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
