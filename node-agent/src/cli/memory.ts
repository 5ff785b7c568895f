import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { Memory, MemoryError, type ConversationSummary, type SearchHit, type StoredMessage } from "../memory/index.js";
import { configure, databasePath } from "../safety/db.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";
import { escapeControls } from "../text.js";

export const memoryCommand: Command = {
  usage: `Usage: ora-agent memory [list] [--user U] [--limit N] [--json]
       ora-agent memory users [--json]
       ora-agent memory search <words…> [--user U] [--limit N] [--json]
       ora-agent memory show <conversation> [--user U] [--limit N] [--json]
       ora-agent memory forget <conversation> [--user U]
       ora-agent memory forget --all [--user U]

Conversations are kept per person: "owner" (every owner device; the default) or,
for anyone else, their device id ("memory users" lists who has any). As the PC's
owner you may look at and forget anyone's. Reads this profile's database directly;
the agent need not be running.`,
  options: { user: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const [action = "list", ...rest] = positionals;
    const user = typeof flags.user === "string" ? flags.user : "owner";
    const json = Boolean(flags.json);
    const path = databasePath(config.stateDir);
    if (!existsSync(path)) throw new UserError(`no database in ${config.stateDir} yet (the agent creates it when it starts)`, 1);
    const db = new Database(path, { fileMustExist: true });
    try {
      configure(db);
      const memory = new Memory(db);
      const limit = limitFrom(flags.limit);
      switch (action) {
        case "list":
          noExtra(rest, action);
          return printConversations(memory.conversations(user, limit ?? 50), json);
        case "users":
          noExtra(rest, action);
          return printUsers(db, json);
        case "search":
          if (rest.length === 0) throw new UserError("memory search needs some words to look for");
          return printHits(memory.search(user, rest.join(" "), limit ?? 20), json);
        case "show":
          return printMessages(memory.history(user, single(rest, "memory show <conversation>"), limit ?? 200), json);
        case "forget":
          return forget(memory, user, rest, Boolean(flags.all), json);
        default:
          throw new UserError(`unknown memory action "${action}": use list, users, search, show or forget`);
      }
    } catch (error) {
      if (error instanceof MemoryError)
        throw new UserError(error.code === "not_found" ? `no conversation "${positionals[1]}" for user "${user}"` : error.message, 1);
      throw error;
    } finally {
      db.close();
    }
  },
};

function forget(memory: Memory, user: string, rest: string[], all: boolean, json: boolean): number {
  if (all === rest.length > 0) throw new UserError("memory forget takes one conversation id, or --all");
  const removed = all ? memory.forget(user, { all: true }) : memory.forget(user, { conversation: single(rest, "memory forget <conversation>") });
  if (!all && removed === 0) throw new MemoryError("not_found", "no such conversation");
  out(json ? JSON.stringify({ user, forgotten: removed }) : `forgot ${removed} conversation(s) of ${user}`);
  return 0;
}

function limitFrom(value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || limit < 1 || limit > 10_000) throw new UserError("--limit takes a whole number from 1 to 10000");
  return limit;
}

function single(rest: string[], usage: string): string {
  if (rest.length !== 1) throw new UserError(`usage: ora-agent ${usage}`);
  return rest[0]!;
}

function noExtra(rest: string[], action: string): void {
  if (rest.length > 0) throw new UserError(`memory ${action} takes no further words (got "${rest.join(" ")}")`);
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const when = (ms: number) => new Date(ms).toISOString();
// Stored text may hold anything a model or a tool produced: escape control characters before a terminal sees it.
const safe = escapeControls;

function printConversations(rows: ConversationSummary[], json: boolean): number {
  if (json) out(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) out("no conversations");
  else for (const c of rows) out(`${c.id}  ${when(c.updatedAt)}  ${String(c.messages).padStart(5)} msg  ${safe(c.title ?? "(untitled)")}`);
  return 0;
}

function printUsers(db: Database.Database, json: boolean): number {
  const rows = db
    .prepare<[], { user: string; conversations: number; updated_at: number }>(
      "SELECT user, count(*) AS conversations, max(updated_at) AS updated_at FROM memory_conversations GROUP BY user ORDER BY updated_at DESC",
    )
    .all();
  if (json)
    out(
      JSON.stringify(
        rows.map((r) => ({ user: r.user, conversations: r.conversations, updatedAt: r.updated_at })),
        null,
        2,
      ),
    );
  else if (rows.length === 0) out("no conversations");
  else for (const r of rows) out(`${safe(r.user).padEnd(24)} ${String(r.conversations).padStart(5)} conversation(s), last ${when(r.updated_at)}`);
  return 0;
}

function printHits(rows: SearchHit[], json: boolean): number {
  if (json) out(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) out("nothing found");
  else for (const h of rows) out(`${h.conversation}  #${h.messageId}  ${when(h.createdAt)}  ${h.role.padEnd(9)} ${safe(h.snippet.replace(/\s+/g, " "))}`);
  return 0;
}

function printMessages(rows: StoredMessage[], json: boolean): number {
  if (json) out(JSON.stringify(rows, null, 2));
  else for (const m of rows) out(`#${m.id} ${when(m.createdAt)} ${m.role}${m.name ? ` (${m.name})` : ""}:\n${safe(m.content)}\n`);
  return 0;
}
