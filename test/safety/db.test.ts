import Database from "better-sqlite3";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { instanceId, migrate, openDatabase, SAFETY_MIGRATIONS, type ModuleMigrations } from "../../node-agent/src/safety/db.js";
import { tempStateDir } from "./fixtures.js";

const notes: ModuleMigrations = {
  module: "notes",
  steps: [
    { version: 1, name: "notes", up: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT" },
    { version: 2, name: "note tags", up: (db) => db.exec("ALTER TABLE notes ADD COLUMN tag TEXT") },
  ],
};

const tables = (db: Database.Database) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);

describe("the profile database", () => {
  it("migrates an empty database to the current schema, and a second run changes nothing", () => {
    const db = new Database(":memory:");
    migrate(db);
    expect(tables(db)).toEqual(["approvals", "audit", "lockouts", "meta", "schema_migrations", "tasks"]);
    migrate(db);
    expect(db.prepare("SELECT module, version FROM schema_migrations").all()).toEqual([
      { module: "safety", version: 1 },
      { module: "safety", version: 2 },
    ]);
  });

  it("runs another module's numbered steps after the safety schema, in order", () => {
    const db = new Database(":memory:");
    migrate(db, [SAFETY_MIGRATIONS, { module: "notes", steps: notes.steps.slice(0, 1) }]);
    migrate(db, [SAFETY_MIGRATIONS, notes]);
    expect(db.prepare("SELECT module, version FROM schema_migrations ORDER BY module, version").all()).toEqual([
      { module: "notes", version: 1 },
      { module: "notes", version: 2 },
      { module: "safety", version: 1 },
      { module: "safety", version: 2 },
    ]);
    expect(db.prepare("SELECT name FROM pragma_table_info('notes')").all()).toEqual([{ name: "id" }, { name: "text" }, { name: "tag" }]);
  });

  it("rolls back a failing step entirely and records nothing for it", () => {
    const db = new Database(":memory:");
    const broken: ModuleMigrations = { module: "broken", steps: [{ version: 1, name: "half", up: "CREATE TABLE half (x); CREATE TABLE half (y);" }] };
    expect(() => migrate(db, [SAFETY_MIGRATIONS, broken])).toThrow();
    expect(tables(db)).not.toContain("half");
    expect(db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE module = 'broken'").get()).toEqual({ n: 0 });
  });

  it("refuses steps numbered out of order, and a database newer than the code", () => {
    const db = new Database(":memory:");
    expect(() => migrate(db, [{ module: "gap", steps: [{ version: 2, name: "x", up: "" }] }])).toThrow(/must be 1, 2, 3/);
    migrate(db, [SAFETY_MIGRATIONS, notes]);
    expect(() => migrate(db, [SAFETY_MIGRATIONS, { module: "notes", steps: notes.steps.slice(0, 1) }])).toThrow(/newer than this agent knows/);
  });

  it("opens ora.db in WAL mode with foreign keys, owner-only, in an owner-only directory", () => {
    const dir = join(tempStateDir(), "private");
    const db = openDatabase(dir);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(5000);
    db.prepare("INSERT INTO meta (key, value) VALUES ('x', 'y')").run();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const file of ["ora.db", "ora.db-wal", "ora.db-shm"]) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    db.close();
  });

  it("keeps one instance id per profile database, created once", () => {
    const dir = tempStateDir();
    const first = openDatabase(dir);
    const id = instanceId(first);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    first.close();
    const again = openDatabase(dir);
    expect(instanceId(again)).toBe(id);
    again.close();
    const other = openDatabase(tempStateDir());
    expect(instanceId(other)).not.toBe(id);
    other.close();
  });
});
