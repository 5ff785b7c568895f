/**
 * Copies of the profile's database around an update. A backup goes through SQLite's online backup
 * API (better-sqlite3's `backup()`), which reads a consistent snapshot, committed WAL frames
 * included, even while the agent writes; a plain file copy of a WAL database could tear.
 */
import Database from "better-sqlite3";
import { chmodSync, existsSync, renameSync, rmSync } from "node:fs";
import { databasePath } from "../safety/db.js";

/**
 * Writes a consistent copy of the database at `source` to `target` (0600), as one self-contained file
 * (rollback journal, not WAL, so that opening it later leaves no -wal/-shm beside it); false when
 * there is no database. The agent sets WAL again when it opens a restored copy.
 */
export async function backupDatabase(source: string, target: string): Promise<boolean> {
  if (!existsSync(source)) return false;
  const temp = `${target}.${process.pid}.tmp`;
  rmSync(temp, { force: true });
  // Read-write, although it only reads: a read-only connection to a WAL database leaves its -wal and
  // -shm files behind when it closes.
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    await db.backup(temp);
  } finally {
    db.close();
  }
  const copy = new Database(temp, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  chmodSync(temp, 0o600);
  renameSync(temp, target);
  return true;
}

/**
 * Puts `backup` in place of the profile's database, which must not be open anywhere (the agent is
 * stopped). What was there is kept first, as `setAside`, so that a rollback loses nothing for good.
 */
export async function restoreDatabase(stateDir: string, backup: string, setAside: string): Promise<void> {
  const path = databasePath(stateDir);
  await backupDatabase(path, setAside);
  const temp = `${path}.${process.pid}.restore`;
  await backupDatabase(backup, temp);
  // The old database's WAL and shared-memory files must not meet the restored one: SQLite would
  // replay the WAL into it.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
  renameSync(temp, path);
}
