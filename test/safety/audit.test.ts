import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Audit, GENESIS_HASH } from "../../node-agent/src/safety/audit.js";
import { openDatabase } from "../../node-agent/src/safety/db.js";
import { alice, gus, tempStateDir } from "./fixtures.js";

function filled(rows = 5): { db: Database.Database; audit: Audit } {
  const db = openDatabase(tempStateDir());
  const audit = new Audit(db);
  for (let i = 0; i < rows; i++) audit.record({ event: "request", who: i % 2 ? gus : alice, tool: `tool.${i}`, argsHash: "ab".repeat(32), status: "received" });
  audit.flush();
  return { db, audit };
}

describe("the audit chain", () => {
  it("links every row to the previous one, starting from the genesis hash", () => {
    const { audit } = filled(3);
    const rows = audit.tail(10);
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[2]!.prev_hash).toBe(rows[1]!.hash);
    expect(audit.verify()).toEqual({ ok: true, rows: 3 });
  });

  it("verifies an empty log as intact", () => {
    expect(filled(0).audit.verify()).toEqual({ ok: true, rows: 0 });
  });

  it("detects an edited row and names it", () => {
    const { db, audit } = filled();
    db.prepare("UPDATE audit SET status = 'allowed' WHERE id = 3").run();
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 3, reason: expect.stringContaining("edited") });
  });

  it("detects an edited row whose own hash was recomputed, at the next row", () => {
    const { db, audit } = filled();
    db.prepare("UPDATE audit SET status = 'allowed', hash = ? WHERE id = 3").run("cd".repeat(32));
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 3 });
  });

  it("detects a deleted row in the middle", () => {
    const { db, audit } = filled();
    db.prepare("DELETE FROM audit WHERE id = 2").run();
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 3, reason: "row 2 is missing" });
  });

  it("detects a deleted row renumbered to close the gap", () => {
    const { db, audit } = filled();
    db.prepare("DELETE FROM audit WHERE id = 2").run();
    db.prepare("UPDATE audit SET id = id - 1 WHERE id > 2").run();
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 2 });
  });

  it("detects two rows swapped", () => {
    const { db, audit } = filled();
    db.exec(`UPDATE audit SET id = 100 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 4; UPDATE audit SET id = 4 WHERE id = 100;`);
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 2 });
  });

  it("detects the newest rows cut off the end", () => {
    const { db, audit } = filled();
    db.prepare("DELETE FROM audit WHERE id >= 4").run();
    expect(audit.verify()).toMatchObject({ ok: false, firstBadId: 4, reason: expect.stringContaining("newest rows were removed") });
  });

  it("keeps the chain intact across reopening the database", () => {
    const dir = tempStateDir();
    const first = openDatabase(dir);
    const before = new Audit(first);
    before.record({ event: "request", status: "received" });
    before.close();
    first.close();
    const again = openDatabase(dir);
    const audit = new Audit(again);
    audit.record({ event: "run", status: "ok" });
    expect(audit.verify()).toEqual({ ok: true, rows: 2 });
  });

  it("returns the newest rows, oldest first, and bounds a long detail", () => {
    const { audit } = filled(5);
    audit.record({ event: "policy", status: "denied", detail: "x".repeat(2000) });
    const tail = audit.tail(2);
    expect(tail.map((r) => r.id)).toEqual([5, 6]);
    expect(tail[1]!.detail).toHaveLength(500);
  });
});
