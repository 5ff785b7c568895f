/** `ora-agent memory …` as the PC's owner runs it: a real process over a real profile database. */
import { describe, expect, it } from "vitest";
import { Memory, MEMORY_MIGRATIONS } from "../../node-agent/src/memory/index.js";
import { openDatabase } from "../../node-agent/src/safety/db.js";
import { runAgentCommand } from "../helpers/agent.js";
import { GUEST, OWNER, tempDir } from "./helpers.js";

/** A state directory whose database holds one owner conversation and one guest conversation. */
function seeded() {
  const stateDir = tempDir("ora-memory-cli-");
  const db = openDatabase(stateDir, [MEMORY_MIGRATIONS]);
  const memory = new Memory(db);
  const owners = memory.startConversation(OWNER, "holiday plans");
  memory.append(OWNER, owners, { role: "user", content: "find flights to Lisbon in May" });
  memory.append(OWNER, owners, { role: "assistant", content: "Three flights to Lisbon look good.\u001b[31m" });
  const guests = memory.startConversation(GUEST, "guest question");
  memory.append(GUEST, guests, { role: "user", content: "what is the Lisbon wifi password" });
  db.close();
  return { stateDir, owners, guests };
}

const memoryCli = (stateDir: string, ...args: string[]) => runAgentCommand(["memory", ...args, "--state-dir", stateDir]);

describe("ora-agent memory", () => {
  it("lists the owner's conversations by default and another user's with --user", async () => {
    const { stateDir, owners, guests } = seeded();
    const mine = await memoryCli(stateDir, "list");
    expect(mine.code).toBe(0);
    expect(mine.stdout).toContain(owners);
    expect(mine.stdout).toContain("holiday plans");
    expect(mine.stdout).not.toContain(guests);
    const theirs = await memoryCli(stateDir, "list", "--user", GUEST, "--json");
    expect(JSON.parse(theirs.stdout)).toMatchObject([{ id: guests, user: GUEST, messages: 1 }]);
    const users = await memoryCli(stateDir, "users", "--json");
    expect(
      JSON.parse(users.stdout)
        .map((u: { user: string }) => u.user)
        .sort(),
    ).toEqual([GUEST, OWNER].sort());
  });

  it("searches and shows one user's history, escaping control characters for the terminal", async () => {
    const { stateDir, owners } = seeded();
    const found = await memoryCli(stateDir, "search", "lisbon", "--json");
    expect(JSON.parse(found.stdout).map((h: { conversation: string }) => h.conversation)).toEqual([owners, owners]);
    const shown = await memoryCli(stateDir, "show", owners);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("find flights to Lisbon in May");
    expect(shown.stdout).toContain("\\u001b[31m");
    expect(shown.stdout).not.toContain("\u001b");
  });

  it("says plainly when a conversation is not that user's", async () => {
    const { stateDir, guests } = seeded();
    const result = await memoryCli(stateDir, "show", guests);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no conversation "${guests}" for user "owner"`);
  });

  it("forgets one conversation, or everything of one user", async () => {
    const { stateDir, owners, guests } = seeded();
    expect((await memoryCli(stateDir, "forget")).code).toBe(2);
    const one = await memoryCli(stateDir, "forget", owners);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("forgot 1 conversation(s) of owner");
    expect((await memoryCli(stateDir, "show", owners)).code).toBe(1);
    const all = await memoryCli(stateDir, "forget", "--all", "--user", GUEST, "--json");
    expect(JSON.parse(all.stdout)).toEqual({ user: GUEST, forgotten: 1 });
    expect((await memoryCli(stateDir, "show", guests, "--user", GUEST)).code).toBe(1);
    expect((await memoryCli(stateDir, "list", "--json")).stdout.trim()).toBe("[]");
  });

  it("explains a state directory without a database instead of creating one", async () => {
    const result = await memoryCli(tempDir("ora-memory-empty-"), "list");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no database");
  });
});
