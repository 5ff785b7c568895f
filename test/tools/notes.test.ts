import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Requester } from "../../node-agent/src/safety/tool.js";
import { migrateNotes, notesAdd, notesList, notesSearch } from "../../node-agent/src/tools/index.js";
import { NOTE_MAX_CHARS, NOTES_MAX_PER_USER, ftsQuery } from "../../node-agent/src/tools/notes.js";
import { alice, call, tempDb, tempDir, toolContext, toolError } from "./context.js";

const bob: Requester = { device: "dev-bob", role: "sub-admin", user: "bob", via: "relay" };
const guestNamedOwner: Requester = { device: "dev-g", role: "guest", user: "owner", via: "relay" };

describe("notes", () => {
  it("adds notes and lists them newest first", async () => {
    const ctx = toolContext();
    const first = await call(notesAdd, { text: "buy milk" }, ctx);
    const second = await call(notesAdd, { text: "  call the dentist  " }, ctx);
    expect(second.id).toBeGreaterThan(first.id);
    const { notes } = await call(notesList, {}, ctx);
    expect(notes.map((n: { text: string }) => n.text)).toEqual(["call the dentist", "buy milk"]);
    expect(Date.parse(notes[0].createdAt)).not.toBeNaN();
  });

  it("pages through a long list with before", async () => {
    const ctx = toolContext();
    for (let i = 1; i <= 5; i++) await call(notesAdd, { text: `note ${i}` }, ctx);
    const page1 = await call(notesList, { limit: 2 }, ctx);
    expect(page1.notes.map((n: { text: string }) => n.text)).toEqual(["note 5", "note 4"]);
    const page2 = await call(notesList, { limit: 2, before: page1.notes[1].id }, ctx);
    expect(page2.notes.map((n: { text: string }) => n.text)).toEqual(["note 3", "note 2"]);
  });

  it("keeps each person's notes apart, and a guest never sees the owner's even under the owner's name", async () => {
    const db = tempDb();
    await call(notesAdd, { text: "owner secret plan" }, toolContext({ db, requester: alice }));
    await call(notesAdd, { text: "bob plan" }, toolContext({ db, requester: bob }));
    await call(notesAdd, { text: "guest plan" }, toolContext({ db, requester: guestNamedOwner }));

    const asGuest = toolContext({ db, requester: guestNamedOwner });
    expect((await call(notesList, {}, asGuest)).notes.map((n: { text: string }) => n.text)).toEqual(["guest plan"]);
    expect((await call(notesSearch, { query: "plan" }, asGuest)).notes.map((n: { text: string }) => n.text)).toEqual(["guest plan"]);
    expect((await call(notesSearch, { query: "secret" }, asGuest)).notes).toEqual([]);

    const asBob = toolContext({ db, requester: bob });
    expect((await call(notesSearch, { query: "plan" }, asBob)).notes.map((n: { text: string }) => n.text)).toEqual(["bob plan"]);
    const asOwner = toolContext({ db, requester: alice });
    expect((await call(notesSearch, { query: "plan" }, asOwner)).notes.map((n: { text: string }) => n.text)).toEqual(["owner secret plan"]);
  });

  it("searches by word prefix, ignoring case and accents", async () => {
    const ctx = toolContext();
    await call(notesAdd, { text: "Meeting with Zoë about the café" }, ctx);
    await call(notesAdd, { text: "groceries" }, ctx);
    expect((await call(notesSearch, { query: "meet" }, ctx)).notes).toHaveLength(1);
    expect((await call(notesSearch, { query: "ZOE cafe" }, ctx)).notes).toHaveLength(1);
    expect((await call(notesSearch, { query: "meeting groceries" }, ctx)).notes).toHaveLength(0);
  });

  it("treats FTS5 syntax in a query as plain words instead of failing", async () => {
    const ctx = toolContext();
    await call(notesAdd, { text: "the quarterly report is due" }, ctx);
    for (const query of ['"report', "report*)", "(report", "report:", "-report", "^report", "{report}"]) {
      expect((await call(notesSearch, { query }, ctx)).notes).toHaveLength(1);
    }
    // Operators become words that must appear, like any other word.
    expect(ftsQuery("report NEAR(due")).toBe('"report"* "NEAR"* "due"*');
    expect((await call(notesSearch, { query: "report OR due" }, ctx)).notes).toHaveLength(0);
    await toolError(call(notesSearch, { query: '"()*' }, ctx), "bad_args");
  });

  it("bounds note length, result counts and query length", async () => {
    const ctx = toolContext();
    await expect(call(notesAdd, { text: "x".repeat(NOTE_MAX_CHARS + 1) }, ctx)).rejects.toThrow();
    await expect(call(notesAdd, { text: "   " }, ctx)).rejects.toThrow();
    await expect(call(notesList, { limit: 101 }, ctx)).rejects.toThrow();
    await expect(call(notesSearch, { query: "x", limit: 51 }, ctx)).rejects.toThrow();
    await expect(call(notesSearch, { query: "x".repeat(201) }, ctx)).rejects.toThrow();
    for (let i = 0; i < 30; i++) await call(notesAdd, { text: `same words ${i}` }, ctx);
    expect((await call(notesSearch, { query: "same", limit: 7 }, ctx)).notes).toHaveLength(7);
    expect((await call(notesList, {}, ctx)).notes).toHaveLength(20);
  });

  it("refuses a note once the person's notebook is full", async () => {
    const db = tempDb();
    migrateNotes(db);
    const fill = db.prepare("INSERT INTO notes (user, role, text, created_at) VALUES ('owner', 'owner', 'n', 0)");
    db.transaction(() => {
      for (let i = 0; i < NOTES_MAX_PER_USER; i++) fill.run();
    })();
    await toolError(call(notesAdd, { text: "one more" }, toolContext({ db })), "too_large");
    // Someone else's notebook is not affected.
    await call(notesAdd, { text: "mine" }, toolContext({ db, requester: bob }));
  });

  it("keeps the search index in step when notes change, and migrates idempotently", async () => {
    const path = join(tempDir(), "notes.db");
    const db = new Database(path);
    migrateNotes(db);
    migrateNotes(db);
    const ctx = toolContext({ db });
    const { id } = await call(notesAdd, { text: "alpha" }, ctx);
    db.prepare("UPDATE notes SET text = 'beta' WHERE id = ?").run(id);
    expect((await call(notesSearch, { query: "alpha" }, ctx)).notes).toHaveLength(0);
    expect((await call(notesSearch, { query: "beta" }, ctx)).notes).toHaveLength(1);
    db.prepare("DELETE FROM notes WHERE id = ?").run(id);
    expect((await call(notesSearch, { query: "beta" }, ctx)).notes).toHaveLength(0);
    db.close();

    // The notes survive closing and reopening the file.
    const reopened = new Database(path);
    await call(notesAdd, { text: "persisted" }, toolContext({ db: reopened }));
    reopened.close();
    const again = new Database(path);
    expect((await call(notesSearch, { query: "persisted" }, toolContext({ db: again }))).notes).toHaveLength(1);
    again.close();
  });

  it("are LOW tools a guest may see", () => {
    for (const tool of [notesAdd, notesList, notesSearch]) expect(tool).toMatchObject({ risk: "LOW", guestVisible: true });
  });
});
