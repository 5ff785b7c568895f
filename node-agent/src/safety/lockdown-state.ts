/**
 * Lockdown as the database keeps it (meta key `lockdown`), read without the rest of the safety core:
 * `status` and `doctor` read it while the agent may not be running.
 */
import type { LockdownStatus } from "@ora/protocol";
import type Database from "better-sqlite3";

export const KEY = "lockdown";

export interface Stored {
  since: number;
  by: string;
  /** The relay device whose sessions stay open: the owner device that entered it, if one did. */
  keepDevice: string | null;
}

/** The lockdown as a command line reads it from the database, without the running agent. */
export function readLockdown(db: Database.Database): LockdownStatus {
  const row = db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?").get(KEY);
  if (!row) return { locked: false, since: null, by: null };
  const stored = JSON.parse(row.value) as Stored;
  return { locked: true, since: stored.since, by: stored.by };
}
