/**
 * The audit log's group commits and their durability guarantee, on real SQLite files: request rows
 * share one transaction and are committed within AUDIT_FLUSH_MS; a decision's row is committed before
 * the call that makes it returns; nothing queued is lost on close or on a clean exit.
 */
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AUDIT_FLUSH_MS, Audit } from "../../node-agent/src/safety/audit.js";
import { databasePath, openDatabase } from "../../node-agent/src/safety/db.js";
import { alice, bob, gus, harness, tempStateDir } from "./fixtures.js";

/** Commits in the WAL since it was last reset: frames whose header carries a database size end a transaction. */
function walCommits(stateDir: string): number {
  let wal: Buffer;
  try {
    wal = readFileSync(`${databasePath(stateDir)}-wal`);
  } catch {
    return 0;
  }
  const pageSize = wal.readUInt32BE(8);
  const salt = wal.subarray(16, 24);
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (!wal.subarray(at + 8, at + 16).equals(salt)) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

/** The agent's database, kept in its WAL (no automatic checkpoint) so commits can be counted. */
function opened(): { dir: string; db: Database.Database; reader: Database.Database; rows: () => number } {
  const dir = tempStateDir();
  const db = openDatabase(dir);
  db.pragma("wal_autocheckpoint = 0");
  const reader = new Database(databasePath(dir), { readonly: true });
  return { dir, db, reader, rows: () => (reader.prepare("SELECT count(*) AS n FROM audit").get() as { n: number }).n };
}

const request = (i: number) => ({ event: "request", who: i % 2 ? gus : alice, status: "ok", detail: `echo ${i}` });

describe("audit group commits", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("commits the rows of many requests in one transaction, in order and chained", () => {
    const { dir, db, rows } = opened();
    const audit = new Audit(db);
    const before = walCommits(dir);
    for (let i = 0; i < 100; i++) audit.record(request(i));
    expect(walCommits(dir)).toBe(before);
    expect(rows()).toBe(0);
    vi.advanceTimersByTime(AUDIT_FLUSH_MS);
    expect(walCommits(dir)).toBe(before + 1);
    expect(rows()).toBe(100);
    expect(audit.tail(100).map((row) => row.detail)).toEqual(Array.from({ length: 100 }, (_, i) => `echo ${i}`));
    expect(audit.verify()).toEqual({ ok: true, rows: 100 });
  });

  it("makes a queued row readable from another connection within 5 ms", () => {
    const { db, rows } = opened();
    const audit = new Audit(db);
    audit.record(request(1));
    vi.advanceTimersByTime(AUDIT_FLUSH_MS - 1);
    expect(rows()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rows()).toBe(1);
    // The next row starts a new 5 ms wait: the timer is not left running on an idle log.
    expect(vi.getTimerCount()).toBe(0);
  });

  it("commits at once on an explicit flush", () => {
    const { dir, db, rows } = opened();
    const audit = new Audit(db);
    const before = walCommits(dir);
    audit.record(request(1));
    audit.record(request(2));
    audit.flush();
    expect(rows()).toBe(2);
    expect(walCommits(dir)).toBe(before + 1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("loses nothing on close, and writes later rows at once", () => {
    const { dir, db } = opened();
    const audit = new Audit(db);
    for (let i = 0; i < 3; i++) audit.record(request(i));
    audit.close();
    audit.record(request(3));
    db.close();
    const again = openDatabase(dir);
    expect(new Audit(again).verify()).toEqual({ ok: true, rows: 4 });
  });

  it("loses nothing when the agent's safety core closes", () => {
    const h = harness();
    h.safety.audit.record(request(1));
    h.safety.close();
    const db = new Database(databasePath(h.stateDir), { readonly: true });
    expect(db.prepare("SELECT event, detail FROM audit").all()).toEqual([{ event: "request", detail: "echo 1" }]);
  });

  it("keeps others' queued rows when a caller's transaction that flushed them rolls back", async () => {
    const { db } = opened();
    const audit = new Audit(db);
    audit.record(request(1));
    expect(() =>
      db.transaction(() => {
        audit.record({ event: "rule.created", status: "created" });
        throw new Error("the rule could not be stored");
      })(),
    ).toThrow("could not be stored");
    await Promise.resolve();
    expect(audit.tail(10).map((row) => row.event)).toEqual(["request"]);
    expect(audit.verify()).toEqual({ ok: true, rows: 1 });
  });

  it("keeps rows queued and tries again when a timed commit cannot take the lock", () => {
    const { dir, db, rows } = opened();
    db.pragma("busy_timeout = 0");
    const errors: unknown[] = [];
    const audit = new Audit(db, Date.now, { onError: (error) => errors.push(error) });
    const other = new Database(databasePath(dir));
    other.exec("BEGIN IMMEDIATE");
    audit.record(request(1));
    vi.advanceTimersByTime(AUDIT_FLUSH_MS);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/locked|busy/i);
    other.exec("COMMIT");
    vi.advanceTimersByTime(AUDIT_FLUSH_MS);
    expect(rows()).toBe(1);
    expect(audit.verify()).toEqual({ ok: true, rows: 1 });
  });
});

describe("audit rows of decisions", () => {
  it("commits an approval's row, with the rows queued before it, before the decision returns", async () => {
    const h = harness();
    const reader = new Database(databasePath(h.stateDir), { readonly: true });
    const events = () =>
      (reader.prepare("SELECT event, status FROM audit ORDER BY id").all() as { event: string; status: string }[]).map((r) => `${r.event}:${r.status}`);
    const call = h.call(bob, "echo.high", { text: "hi" });
    const approval = await call.pending;
    // The request and policy rows were queued, then committed with approval.created before the task was told.
    expect(events()).toEqual(["request:received", "policy:needs_approval", "approval.created:pending", "task.created:waiting_approval"]);
    h.safety.audit.record(request(7));
    h.safety.approvals.decide(approval.id, { verdict: "approve" }, alice);
    // Synchronous from record() on, so no timer ran in between: the decision's row is on disk as decide() returns, after the row queued before it.
    expect(events().slice(-2)).toEqual(["request:ok", "approval.approve:approved"]);
    await call.result;
    h.safety.close();
  });
});

describe("audit rows on a clean exit", () => {
  it("are committed when the process exits with rows still queued", () => {
    const dir = tempStateDir();
    const dist = join(import.meta.dirname, "../../node-agent/dist/safety");
    const script = `
      const { Audit } = await import(${JSON.stringify(pathToFileURL(join(dist, "audit.js")).href)});
      const { openDatabase } = await import(${JSON.stringify(pathToFileURL(join(dist, "db.js")).href)});
      const audit = new Audit(openDatabase(${JSON.stringify(dir)}));
      for (let i = 0; i < 5; i++) audit.record({ event: "request", status: "ok", detail: "row " + i });
      process.exit(0);`;
    execFileSync(process.execPath, ["--input-type=module", "-e", script]);
    const db = openDatabase(dir);
    expect(new Audit(db).verify()).toEqual({ ok: true, rows: 5 });
  });
});
