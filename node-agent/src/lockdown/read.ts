/** The lockdown as a command line sees it when it has no need of the running agent: read from the profile's database. */
import type { LockdownStatus } from "@ora/protocol";
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { databasePath } from "../safety/db.js";
import { readLockdown } from "../safety/lockdown-state.js";

export function lockdownOf(stateDir: string): LockdownStatus {
  const path = databasePath(stateDir);
  if (!existsSync(path)) return { locked: false, since: null, by: null };
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    // A database created before the safety tables (never started) has no meta table yet.
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    return hasMeta ? readLockdown(db) : { locked: false, since: null, by: null };
  } finally {
    db.close();
  }
}

/** "ON since 2026-11-29T14:22:00.000Z (by the local CLI); end it with: <unlock>", or "off". */
export function lockdownLine(status: LockdownStatus, unlock: string): string {
  if (!status.locked) return "off";
  return `ON since ${new Date(status.since ?? 0).toISOString()} (by ${status.by ?? "an owner"}); end it with: ${unlock}`;
}
