/** Shared helpers for the memory tests: real SQLite files in temp folders, closed and removed after each test. */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Memory } from "../../node-agent/src/memory/index.js";
import { configure } from "../../node-agent/src/safety/db.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

export function tempDir(prefix = "ora-memory-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Memory over a real database file, with a clock the test moves. */
export function tempMemory(): { memory: Memory; db: Database.Database; clock: { now: number } } {
  const db = new Database(join(tempDir(), "ora.db"));
  configure(db);
  cleanups.push(() => db.close());
  const clock = { now: Date.UTC(2026, 0, 1) };
  return { memory: new Memory(db, () => clock.now), db, clock };
}

/** The owner (every owner device shares this user) and a guest, as methods/requester.ts names them. */
export const OWNER = "owner";
export const GUEST = "dev-guest-1";
