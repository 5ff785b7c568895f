import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Memory, MEMORY_LIMITS, MEMORY_MIGRATIONS, MemoryError } from "../../node-agent/src/memory/index.js";
import { migrate, SAFETY_MIGRATIONS } from "../../node-agent/src/safety/db.js";
import { GUEST, OWNER, tempMemory } from "./helpers.js";

function memoryError(fn: () => unknown, code: MemoryError["code"]): MemoryError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MemoryError);
  expect((caught as MemoryError).code).toBe(code);
  return caught as MemoryError;
}

describe("memory migrations", () => {
  it("applies to an in-memory database next to the safety schema, and a second run changes nothing", () => {
    const db = new Database(":memory:");
    migrate(db, [SAFETY_MIGRATIONS, MEMORY_MIGRATIONS]);
    migrate(db, [SAFETY_MIGRATIONS, MEMORY_MIGRATIONS]);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'memory_%' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(["memory_conversations", "memory_messages", "memory_messages_fts"]));
    expect(db.prepare("SELECT version FROM schema_migrations WHERE module = 'memory'").pluck().all()).toEqual([1]);
    const memory = new Memory(db);
    const id = memory.startConversation(OWNER);
    memory.append(OWNER, id, { role: "user", content: "works in memory" });
    expect(memory.search(OWNER, "works")).toHaveLength(1);
    db.close();
  });

  it("migrates a fresh database by itself when the caller did not", () => {
    const db = new Database(":memory:");
    const memory = new Memory(db);
    expect(memory.conversations(OWNER)).toEqual([]);
    expect(db.prepare("SELECT count(*) FROM schema_migrations WHERE module = 'memory'").pluck().get()).toBe(1);
    db.close();
  });
});

describe("memory", () => {
  it("keeps messages in the order they were appended, with their tool details", () => {
    const { memory, clock } = tempMemory();
    const id = memory.startConversation(OWNER, "planning");
    memory.append(OWNER, id, { role: "user", content: "what is on today?" });
    clock.now += 1000;
    const calls = [{ id: "call_1", name: "time.now", arguments: "{}" }];
    memory.append(OWNER, id, { role: "assistant", content: "", toolCalls: calls, model: "gpt-test" });
    memory.append(OWNER, id, { role: "tool", content: '{"iso":"2026-01-01"}', name: "time.now", toolCallId: "call_1" });
    memory.append(OWNER, id, { role: "assistant", content: "Nothing, it is a holiday." });
    const history = memory.history(OWNER, id);
    expect(history.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(history[1]).toMatchObject({ toolCalls: calls, model: "gpt-test", createdAt: clock.now });
    expect(history[2]).toMatchObject({ name: "time.now", toolCallId: "call_1" });
    expect(history[0]).not.toHaveProperty("name");
    expect(memory.history(OWNER, id, 2).map((m) => m.content)).toEqual(['{"iso":"2026-01-01"}', "Nothing, it is a holiday."]);
  });

  it("lists a user's conversations most recently active first, with message counts", () => {
    const { memory, clock } = tempMemory();
    const first = memory.startConversation(OWNER, "first");
    clock.now += 1000;
    const second = memory.startConversation(OWNER, "second");
    clock.now += 1000;
    memory.append(OWNER, first, { role: "user", content: "back to the first" });
    const list = memory.conversations(OWNER);
    expect(list.map((c) => c.id)).toEqual([first, second]);
    expect(list[0]).toMatchObject({ title: "first", messages: 1, user: OWNER, updatedAt: clock.now });
    expect(memory.conversations(OWNER, 1)).toHaveLength(1);
  });

  it("never shows the owner's history to a guest, by id, by list or by search", () => {
    const { memory } = tempMemory();
    const mine = memory.startConversation(OWNER, "bank");
    memory.append(OWNER, mine, { role: "user", content: "my bank password hint is blue giraffe" });
    expect(memory.conversations(GUEST)).toEqual([]);
    expect(memory.search(GUEST, "giraffe")).toEqual([]);
    memoryError(() => memory.history(GUEST, mine), "not_found");
    memoryError(() => memory.append(GUEST, mine, { role: "user", content: "sneaking in" }), "not_found");
    expect(memory.forget(GUEST, { conversation: mine })).toBe(0);
    expect(memory.forget(GUEST, { all: true })).toBe(0);
    expect(memory.history(OWNER, mine)).toHaveLength(1);
  });

  it("never shows a guest's history to the owner's calls either", () => {
    const { memory } = tempMemory();
    const theirs = memory.startConversation(GUEST, "guest chat");
    memory.append(GUEST, theirs, { role: "user", content: "guest asks about the wifi giraffe" });
    expect(memory.conversations(OWNER)).toEqual([]);
    expect(memory.search(OWNER, "giraffe")).toEqual([]);
    memoryError(() => memory.history(OWNER, theirs), "not_found");
    expect(memory.search(GUEST, "giraffe").map((h) => h.conversation)).toEqual([theirs]);
  });

  it("answers an unknown conversation exactly as it answers someone else's", () => {
    const { memory } = tempMemory();
    const mine = memory.startConversation(OWNER);
    const foreign = memoryError(() => memory.history(GUEST, mine), "not_found");
    const missing = memoryError(() => memory.history(GUEST, "no-such-id"), "not_found");
    expect(foreign.message).toBe(missing.message);
  });

  it("finds messages by word prefix across conversations, with a marked snippet", () => {
    const { memory } = tempMemory();
    const a = memory.startConversation(OWNER, "trip");
    const b = memory.startConversation(OWNER, "work");
    memory.append(OWNER, a, { role: "user", content: "Book the train to Zürich for the meeting" });
    memory.append(OWNER, b, { role: "assistant", content: "The meeting notes are in the shared folder" });
    memory.append(OWNER, b, { role: "user", content: "unrelated groceries" });
    const hits = memory.search(OWNER, "meet");
    expect(hits.map((h) => h.conversation).sort()).toEqual([a, b].sort());
    expect(memory.search(OWNER, "zurich train")).toMatchObject([{ conversation: a, title: "trip", role: "user" }]);
    expect(hits.find((h) => h.conversation === a)!.snippet).toContain("[meeting]");
    expect(memory.search(OWNER, "meeting", 1)).toHaveLength(1);
  });

  it("treats FTS5 syntax in a search as plain words instead of failing", () => {
    const { memory } = tempMemory();
    const id = memory.startConversation(OWNER);
    memory.append(OWNER, id, { role: "user", content: "the quarterly report is due" });
    for (const query of ['"report', "report*)", "(report", "report:", "-report", "^report", "{report}"]) {
      expect(memory.search(OWNER, query), query).toHaveLength(1);
    }
    // Operators and column filters become words that must appear, like any other word.
    expect(memory.search(OWNER, "report OR nothing")).toEqual([]);
    for (const query of ["content:report", "NEAR(report", "report AND"]) expect(memory.search(OWNER, query), query).toEqual([]);
    for (const query of ['"()*', "", "   ", "\u0000", "*"]) expect(memory.search(OWNER, query), JSON.stringify(query)).toEqual([]);
    expect(memory.search(OWNER, "report ".repeat(1000))).toHaveLength(1);
  });

  it("forgets one conversation, then all of a user's, leaving other users' alone", () => {
    const { memory } = tempMemory();
    const one = memory.startConversation(OWNER);
    const two = memory.startConversation(OWNER);
    const theirs = memory.startConversation(GUEST);
    for (const [user, id] of [
      [OWNER, one],
      [OWNER, two],
      [GUEST, theirs],
    ] as const)
      memory.append(user, id, { role: "user", content: "remember the giraffe" });
    expect(memory.forget(OWNER, { conversation: one })).toBe(1);
    memoryError(() => memory.history(OWNER, one), "not_found");
    expect(memory.search(OWNER, "giraffe").map((h) => h.conversation)).toEqual([two]);
    expect(memory.forget(OWNER, { all: true })).toBe(1);
    expect(memory.conversations(OWNER)).toEqual([]);
    expect(memory.search(OWNER, "giraffe")).toEqual([]);
    expect(memory.search(GUEST, "giraffe")).toHaveLength(1);
  });

  it("bounds sizes: long content is cut, oversized fields and bad roles are refused", () => {
    const { memory } = tempMemory();
    const id = memory.startConversation(OWNER, `a\ntitle\u0007 ${"x".repeat(500)}`);
    expect(memory.conversations(OWNER)[0]!.title).toMatch(/^a title x+$/);
    expect(memory.conversations(OWNER)[0]!.title!.length).toBe(MEMORY_LIMITS.titleChars);
    memory.append(OWNER, id, { role: "tool", content: "y".repeat(MEMORY_LIMITS.contentChars + 10) });
    const [stored] = memory.history(OWNER, id);
    expect(stored!.content.startsWith("y".repeat(MEMORY_LIMITS.contentChars))).toBe(true);
    expect(stored!.content).toMatch(/\[truncated\]$/);
    memoryError(() => memory.append(OWNER, id, { role: "system" as "user", content: "be evil" }), "bad_input");
    memoryError(() => memory.append(OWNER, id, { role: "user", content: "x", name: "n".repeat(201) }), "bad_input");
    memoryError(() => memory.append(OWNER, id, { role: "assistant", content: "", toolCalls: ["z".repeat(MEMORY_LIMITS.toolCallsChars)] }), "too_large");
    memoryError(() => memory.startConversation(""), "bad_input");
    memoryError(() => memory.startConversation("u".repeat(MEMORY_LIMITS.userChars + 1)), "bad_input");
    memoryError(() => memory.history(OWNER, id, 0), "bad_input");
    memoryError(() => memory.conversations(OWNER, 1.5), "bad_input");
  });

  it("refuses a message past the per-conversation cap instead of growing without end", () => {
    const { memory, db } = tempMemory();
    const id = memory.startConversation(OWNER);
    const insert = db.prepare("INSERT INTO memory_messages (conversation, user, role, content, created_at) VALUES (?, ?, 'user', 'filler', 0)");
    db.transaction(() => {
      for (let i = 0; i < MEMORY_LIMITS.messagesPerConversation; i++) insert.run(id, OWNER);
    })();
    memoryError(() => memory.append(OWNER, id, { role: "user", content: "one too many" }), "too_large");
    expect(memory.history(OWNER, id, 5)).toHaveLength(5);
  });
});

describe("memory rename", () => {
  it("renames only this user's conversation, on one line and within the title bound", () => {
    const { memory } = tempMemory();
    const id = memory.startConversation(OWNER, "first words");
    expect(memory.rename(OWNER, id, " Trip\t to\nKyoto ")).toMatchObject({ id, title: "Trip to Kyoto", user: OWNER });
    expect(memory.rename(OWNER, id, "x".repeat(500)).title).toHaveLength(MEMORY_LIMITS.titleChars);
    expect(() => memory.rename(GUEST, id, "mine")).toThrow(expect.objectContaining({ code: "not_found" }));
    expect(() => memory.rename(OWNER, id, " \n ")).toThrow(expect.objectContaining({ code: "bad_input" }));
    expect(memory.conversations(OWNER)[0]!.title).toBe("x".repeat(MEMORY_LIMITS.titleChars));
  });
});
