/**
 * The profile's database, `<stateDir>/ora.db`: one SQLite file per profile (WAL, foreign keys, a busy
 * timeout so the CLI reading the audit never fails against the running agent), owner-only on disk.
 *
 * Schema changes are versioned migrations, grouped by module. Each module owns an ordered list of
 * numbered steps; `schema_migrations` records which (module, version) pairs ran. Another module adds
 * its tables by declaring its own list, either on a tool (`Tool.migrations`, collected by createSafety)
 * or passed to `openDatabase`/`migrate` directly:
 *
 *     export const NOTES_MIGRATIONS: ModuleMigrations = {
 *       module: "notes",
 *       steps: [{ version: 1, name: "notes table", up: "CREATE TABLE notes (…) STRICT;" }],
 *     };
 *
 * Never edit a step that has shipped: append the next version instead.
 */
import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "../state.js";

export interface Migration {
  /** 1, 2, 3… in order, with no gaps. */
  version: number;
  name: string;
  up: string | ((db: Database.Database) => void);
}

export interface ModuleMigrations {
  /** A stable name: the key under which this module's versions are recorded. */
  module: string;
  steps: readonly Migration[];
}

export const SAFETY_MIGRATIONS: ModuleMigrations = {
  module: "safety",
  steps: [
    {
      version: 1,
      name: "meta, audit chain, approvals, lockouts",
      up: `
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE audit (
          id INTEGER PRIMARY KEY,
          at INTEGER NOT NULL,
          event TEXT NOT NULL,
          device TEXT, role TEXT, user TEXT, via TEXT, session TEXT,
          tool TEXT, args_hash TEXT,
          status TEXT NOT NULL,
          detail TEXT,
          duration_ms INTEGER,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        ) STRICT;
        CREATE TABLE approvals (
          id TEXT PRIMARY KEY,
          tool TEXT NOT NULL,
          args_json TEXT NOT NULL,
          args_hash TEXT NOT NULL,
          risk TEXT NOT NULL CHECK (risk IN ('HIGH', 'CRITICAL')),
          req_device TEXT NOT NULL, req_role TEXT NOT NULL, req_user TEXT NOT NULL, req_via TEXT NOT NULL, req_session TEXT,
          origin TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'used')),
          code_hash TEXT,
          code_attempts INTEGER NOT NULL DEFAULT 0,
          decided_by TEXT, decided_at INTEGER, used_at INTEGER
        ) STRICT;
        CREATE INDEX approvals_binding ON approvals (tool, args_hash, req_device, status);
        CREATE INDEX approvals_open ON approvals (status, expires_at);
        CREATE TABLE lockouts (
          key TEXT PRIMARY KEY,
          failures INTEGER NOT NULL,
          locked_until INTEGER NOT NULL DEFAULT 0
        ) STRICT;
      `,
    },
    {
      version: 2,
      name: "durable tasks, one per approval",
      up: `
        CREATE TABLE tasks (
          id TEXT PRIMARY KEY,
          approval TEXT NOT NULL UNIQUE REFERENCES approvals (id),
          tool TEXT NOT NULL,
          args_json TEXT NOT NULL,
          args_hash TEXT NOT NULL,
          risk TEXT NOT NULL CHECK (risk IN ('HIGH', 'CRITICAL')),
          req_device TEXT NOT NULL, req_role TEXT NOT NULL, req_user TEXT NOT NULL, req_via TEXT NOT NULL, req_session TEXT,
          origin TEXT NOT NULL,
          conversation TEXT,
          tool_call TEXT,
          state TEXT NOT NULL CHECK (state IN ('waiting_approval', 'running', 'done', 'failed', 'denied', 'expired', 'cancelled')),
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          finished_at INTEGER,
          result_json TEXT,
          error_code TEXT,
          error_message TEXT
        ) STRICT;
        CREATE INDEX tasks_by_state ON tasks (state, updated_at);
        CREATE INDEX tasks_by_requester ON tasks (req_user, created_at);
      `,
    },
  ],
};

const MODULE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/** Runs every step not yet applied, each in its own transaction; refuses a database newer than this code. */
export function migrate(db: Database.Database, modules: readonly ModuleMigrations[] = [SAFETY_MIGRATIONS]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL,
    PRIMARY KEY (module, version)) STRICT`);
  const current = db.prepare<[string], { v: number | null }>("SELECT max(version) AS v FROM schema_migrations WHERE module = ?");
  const record = db.prepare("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)");
  const seen = new Set<string>();
  for (const { module, steps } of modules) {
    if (!MODULE_NAME.test(module)) throw new Error(`migration module name "${module}" must match ${MODULE_NAME}`);
    if (seen.has(module)) throw new Error(`migrations for module "${module}" were given twice`);
    seen.add(module);
    steps.forEach((step, index) => {
      if (step.version !== index + 1) throw new Error(`migration ${module} #${index + 1} is numbered ${step.version}; steps must be 1, 2, 3…`);
    });
    const applied = current.get(module)?.v ?? 0;
    if (applied > steps.length)
      throw new Error(`the database has ${module} schema version ${applied}, newer than this agent knows (${steps.length}); update ora-agent`);
    for (const step of steps.slice(applied)) {
      db.transaction(() => {
        if (typeof step.up === "string") db.exec(step.up);
        else step.up(db);
        record.run(module, step.version, step.name, Date.now());
      })();
    }
  }
}

export const databasePath = (stateDir: string) => join(stateDir, "ora.db");

/** Opens (creating if needed) the profile's database and brings its schema up to date. */
export function openDatabase(stateDir: string, modules: readonly ModuleMigrations[] = []): Database.Database {
  ensureStateDir(stateDir);
  const path = databasePath(stateDir);
  // Create the file 0600 before SQLite opens it: SQLite gives the -wal and -shm files the main file's mode.
  closeSync(openSync(path, "a", 0o600));
  chmodSync(path, 0o600);
  const db = new Database(path);
  configure(db);
  migrate(db, [SAFETY_MIGRATIONS, ...modules]);
  return db;
}

export function configure(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  // NORMAL is durable across application crashes in WAL mode; only a power cut may lose the last commits.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
}

/** This install's (profile's) stable identity, created once on first use. */
export function instanceId(db: Database.Database): string {
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)").run(randomBytes(16).toString("hex"));
  return db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'instance_id'").get()!.value;
}
