/**
 * notes.add, notes.list and notes.search: short notes kept in the profile database, one notebook per
 * person and role. Notes are keyed by the requester's user name *and* role, so a guest never reads the
 * owner's notes even if a guest was paired under the same name.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import type { ModuleMigrations } from "../safety/db.js";
import { ToolError, type Requester, type Tool } from "../safety/tool.js";

export const NOTE_MAX_CHARS = 4000;
export const NOTES_MAX_PER_USER = 10_000;
const SEARCH_MAX_TERMS = 16;

/**
 * Creates the notes table and its full-text index. Idempotent, so it can run on every start or from a
 * versioned migration. The FTS5 table stores no text of its own (content='notes'); triggers keep it in
 * step with the notes table (https://sqlite.org/fts5.html#external_content_tables).
 */
export function migrateNotes(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS notes (
      id INTEGER PRIMARY KEY,
      user TEXT NOT NULL,
      role TEXT NOT NULL,
      text TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS notes_by_owner ON notes (role, user, id);
    CREATE VIRTUAL TABLE IF NOT EXISTS notes_fts USING fts5 (
      text, content = 'notes', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER IF NOT EXISTS notes_fts_insert AFTER INSERT ON notes BEGIN
      INSERT INTO notes_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER IF NOT EXISTS notes_fts_delete AFTER DELETE ON notes BEGIN
      INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    CREATE TRIGGER IF NOT EXISTS notes_fts_update AFTER UPDATE OF text ON notes BEGIN
      INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
      INSERT INTO notes_fts (rowid, text) VALUES (new.id, new.text);
    END;
  `);
}

/** The notes schema as a versioned migration module; never edit a shipped step, append the next. */
export const NOTES_MIGRATIONS: ModuleMigrations = {
  module: "notes",
  steps: [{ version: 1, name: "notes with full-text search", up: migrateNotes }],
};

// A database opened without the notes migrations (a tool used on its own) still gets the tables, once.
const migrated = new WeakSet<Database.Database>();
function ready(db: Database.Database): Database.Database {
  if (!migrated.has(db)) {
    migrateNotes(db);
    migrated.add(db);
  }
  return db;
}

interface NoteRow {
  id: number;
  text: string;
  created_at: number;
}
const toNote = (row: NoteRow) => ({ id: row.id, text: row.text, createdAt: new Date(row.created_at).toISOString() });
const owner = (r: Requester) => ({ user: r.user, role: r.role });

const AddArgs = z.object({ text: z.string().trim().min(1).max(NOTE_MAX_CHARS) });

export const notesAdd: Tool<z.infer<typeof AddArgs>> = {
  name: "notes.add",
  description: `Save a short note (at most ${NOTE_MAX_CHARS} characters) in the requester's own notebook.`,
  args: AddArgs,
  risk: "LOW",
  guestVisible: true,
  // createSafety runs each tool's migrations and refuses a module given twice: the notes schema is
  // declared here once, for all three notes tools.
  migrations: NOTES_MIGRATIONS,
  run({ text }, { db, requester }) {
    const who = owner(requester);
    const add = ready(db).transaction(() => {
      const { n } = db.prepare("SELECT count(*) AS n FROM notes WHERE role = @role AND user = @user").get(who) as { n: number };
      if (n >= NOTES_MAX_PER_USER) throw new ToolError("too_large", `the notebook is full (${NOTES_MAX_PER_USER} notes)`);
      const createdAt = Date.now();
      const { lastInsertRowid } = db
        .prepare("INSERT INTO notes (user, role, text, created_at) VALUES (@user, @role, @text, @createdAt)")
        .run({ ...who, text, createdAt });
      return { id: Number(lastInsertRowid), createdAt: new Date(createdAt).toISOString() };
    });
    return add();
  },
};

const ListArgs = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  /** Paging: only notes older than this id. */
  before: z.number().int().min(1).optional(),
});

export const notesList: Tool<z.infer<typeof ListArgs>> = {
  name: "notes.list",
  description: "List the requester's own notes, newest first (pass `before` = the last id seen for the next page).",
  args: ListArgs,
  risk: "LOW",
  guestVisible: true,
  run({ limit, before }, { db, requester }) {
    const rows = ready(db)
      .prepare("SELECT id, text, created_at FROM notes WHERE role = @role AND user = @user AND id < @before ORDER BY id DESC LIMIT @limit")
      .all({ ...owner(requester), before: before ?? Number.MAX_SAFE_INTEGER, limit }) as NoteRow[];
    return { notes: rows.map(toNote) };
  },
};

const SearchArgs = z.object({
  query: z.string().min(1).max(200),
  limit: z.number().int().min(1).max(50).default(20),
});

/**
 * Turns free text into an FTS5 query: every word becomes a quoted prefix term, all must match. Passing
 * the text through as FTS5 syntax would let a stray quote or NEAR( turn into a syntax error.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text.match(/[\p{L}\p{N}\p{M}]+/gu)?.slice(0, SEARCH_MAX_TERMS);
  return words?.map((word) => `"${word}"*`).join(" ");
}

export const notesSearch: Tool<z.infer<typeof SearchArgs>> = {
  name: "notes.search",
  description: "Search the requester's own notes by words (prefixes match: 'meet' finds 'meeting'), best matches first.",
  args: SearchArgs,
  risk: "LOW",
  guestVisible: true,
  run({ query, limit }, { db, requester }) {
    const match = ftsQuery(query);
    if (match === undefined) throw new ToolError("bad_args", "the query has no words to search for");
    const rows = ready(db)
      .prepare(
        `SELECT notes.id, notes.text, notes.created_at FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid
         WHERE notes_fts MATCH @match AND notes.role = @role AND notes.user = @user ORDER BY notes_fts.rank LIMIT @limit`,
      )
      .all({ ...owner(requester), match, limit }) as NoteRow[];
    return { notes: rows.map(toNote) };
  },
};
