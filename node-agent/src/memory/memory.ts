/**
 * Conversation history per profile and per user. Every method takes the user first and every query
 * filters on it: a conversation id from another user behaves exactly like one that does not exist, so
 * a guest can neither read nor probe the owner's history (nor the owner's API calls a guest's by mistake).
 *
 * The caller passes Requester.user (methods/requester.ts): "owner" for all owner devices, so an owner's
 * history follows them between devices; the device id for everyone else.
 */
import type Database from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { migrate } from "../safety/db.js";
import { ftsQuery } from "../tools/notes.js";
import { MEMORY_LIMITS as L, MemoryError, type ConversationSummary, type MessageInput, type SearchHit, type StoredMessage } from "./types.js";
import { MEMORY_MIGRATIONS } from "./schema.js";
import { flattenControls } from "../text.js";

interface MessageRow {
  id: number;
  conversation: string;
  role: StoredMessage["role"];
  content: string;
  name: string | null;
  tool_call_id: string | null;
  tool_calls: string | null;
  model: string | null;
  created_at: number;
}

interface ConversationRow {
  id: string;
  user: string;
  title: string | null;
  created_at: number;
  updated_at: number;
  messages: number;
}

const ROLES = new Set(["user", "assistant", "tool"]);
const TRUNCATED = "\n…[truncated]";

export class Memory {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    // Versioned, so this is a no-op when createSafety already applied MEMORY_MIGRATIONS.
    migrate(db, [MEMORY_MIGRATIONS]);
  }

  /** Each statement is compiled once: a chat turn appends several messages, and compiling costs more than running. */
  private sql<P extends unknown[] | object = unknown[], R = unknown>(text: string): Database.Statement<P, R> {
    let statement = this.statements.get(text);
    if (!statement) this.statements.set(text, (statement = this.db.prepare(text)));
    return statement as unknown as Database.Statement<P, R>;
  }

  startConversation(user: string, title?: string): string {
    checkUser(user);
    const id = randomUUID();
    const at = this.now();
    this.db.transaction(() => {
      const { n } = this.sql<[string], { n: number }>("SELECT count(*) AS n FROM memory_conversations WHERE user = ?").get(user)!;
      if (n >= L.conversationsPerUser) throw new MemoryError("too_large", `${user} has ${n} conversations, the most kept; forget some first`);
      this.sql("INSERT INTO memory_conversations (id, user, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)").run(
        id,
        user,
        title === undefined ? null : clip(oneLine(title), L.titleChars),
        at,
        at,
      );
    })();
    return id;
  }

  /** Records one message; returns its id. Content past the cap is cut (a long tool output must not stop the record). */
  append(user: string, conversation: string, message: MessageInput): number {
    checkUser(user);
    if (!ROLES.has(message.role)) throw new MemoryError("bad_input", `unknown message role "${String(message.role)}"`);
    if (typeof message.content !== "string") throw new MemoryError("bad_input", "message content must be text");
    const toolCalls = message.toolCalls === undefined ? null : JSON.stringify(message.toolCalls);
    if (toolCalls !== null && toolCalls.length > L.toolCallsChars)
      throw new MemoryError("too_large", `toolCalls is larger than ${L.toolCallsChars} characters`);
    const at = this.now();
    return this.db.transaction(() => {
      const owned = this.sql<[string, string], { n: number }>(
        "SELECT (SELECT count(*) FROM memory_messages WHERE conversation = c.id) AS n FROM memory_conversations c WHERE c.id = ? AND c.user = ?",
      ).get(conversation, user);
      if (!owned) throw notFound();
      if (owned.n >= L.messagesPerConversation) throw new MemoryError("too_large", `the conversation has ${owned.n} messages, the most kept; start a new one`);
      const { lastInsertRowid } = this.sql(
        `INSERT INTO memory_messages (conversation, user, role, content, name, tool_call_id, tool_calls, model, created_at)
           VALUES (@conversation, @user, @role, @content, @name, @toolCallId, @toolCalls, @model, @at)`,
      ).run({
        conversation,
        user,
        role: message.role,
        content: message.content.length > L.contentChars ? message.content.slice(0, L.contentChars) + TRUNCATED : message.content,
        name: optionalLabel("name", message.name),
        toolCallId: optionalLabel("toolCallId", message.toolCallId),
        toolCalls,
        model: optionalLabel("model", message.model),
        at,
      });
      this.sql("UPDATE memory_conversations SET updated_at = ? WHERE id = ?").run(at, conversation);
      return Number(lastInsertRowid);
    })();
  }

  /** The newest `limit` messages of a conversation, oldest first; not_found when it is not this user's. */
  history(user: string, conversation: string, limit: number = L.historyDefault): StoredMessage[] {
    checkUser(user);
    const n = bounded(limit, L.historyMax);
    if (!this.sql("SELECT 1 FROM memory_conversations WHERE id = ? AND user = ?").get(conversation, user)) throw notFound();
    const rows = this.sql<[string, string, number], MessageRow>(
      "SELECT * FROM (SELECT * FROM memory_messages WHERE conversation = ? AND user = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
    ).all(conversation, user, n);
    return rows.map(toMessage);
  }

  /** This user's conversations, most recently active first. */
  conversations(user: string, limit: number = L.listDefault): ConversationSummary[] {
    checkUser(user);
    const rows = this.sql<[string, number], ConversationRow>(
      `SELECT c.*, (SELECT count(*) FROM memory_messages m WHERE m.conversation = c.id) AS messages
         FROM memory_conversations c WHERE c.user = ? ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`,
    ).all(user, bounded(limit, L.listMax));
    return rows.map(toSummary);
  }

  /**
   * Full-text search over this user's messages, best matches first. Notes are left out on purpose:
   * they have their own tool (notes.search) and are keyed by user and role, not by user alone.
   */
  search(user: string, query: string, limit: number = L.searchDefault): SearchHit[] {
    checkUser(user);
    const n = bounded(limit, L.searchMax);
    const match = ftsQuery(String(query).slice(0, L.queryChars));
    if (match === undefined) return [];
    const rows = this.sql<
      { match: string; user: string; n: number },
      { id: number; conversation: string; title: string | null; role: StoredMessage["role"]; snippet: string; created_at: number }
    >(
      `SELECT m.id, m.conversation, c.title, m.role, m.created_at,
                snippet(memory_messages_fts, 0, '[', ']', '…', 16) AS snippet
         FROM memory_messages_fts f
         JOIN memory_messages m ON m.id = f.rowid
         JOIN memory_conversations c ON c.id = m.conversation
         WHERE memory_messages_fts MATCH @match AND m.user = @user AND c.user = @user
         ORDER BY f.rank, m.id DESC LIMIT @n`,
    ).all({ match, user, n });
    const hits = rows.map((r) => ({
      conversation: r.conversation,
      title: r.title,
      messageId: r.id,
      role: r.role,
      snippet: r.snippet,
      createdAt: r.created_at,
    }));
    return hits.length < n ? [...hits, ...this.searchUnspaced(user, String(query).slice(0, L.queryChars), n - hits.length, hits)] : hits;
  }

  /**
   * Japanese and Chinese are written without spaces, so FTS5's unicode61 tokenizer takes a whole
   * sentence for one word and "会議" never matches "明日の会議は10時". Such words are looked up as
   * substrings instead (all of them must appear), newest first, after the full-text hits.
   */
  private searchUnspaced(user: string, query: string, n: number, found: SearchHit[]): SearchHit[] {
    const words = query.match(/[\p{L}\p{N}\p{M}]+/gu)?.slice(0, UNSPACED_TERMS);
    if (!words?.some((word) => UNSPACED.test(word))) return [];
    const seen = new Set(found.map((hit) => hit.messageId));
    const rows = this.sql<
      unknown[],
      { id: number; conversation: string; title: string | null; role: StoredMessage["role"]; content: string; created_at: number }
    >(
      `SELECT m.id, m.conversation, c.title, m.role, m.content, m.created_at
         FROM memory_messages m JOIN memory_conversations c ON c.id = m.conversation
         WHERE m.user = ? AND c.user = ? ${words.map(() => "AND instr(m.content, ?) > 0").join(" ")}
         ORDER BY m.id DESC LIMIT ?`,
    ).all(user, user, ...words, n + seen.size);
    return rows
      .filter((r) => !seen.has(r.id))
      .slice(0, n)
      .map((r) => ({
        conversation: r.conversation,
        title: r.title,
        messageId: r.id,
        role: r.role,
        snippet: marked(r.content, words),
        createdAt: r.created_at,
      }));
  }

  /**
   * Gives one of this user's conversations a title of their own (it replaces the first words the
   * title was made from); not_found when it is not this user's. Renaming is not activity: the
   * conversation keeps its place in the list.
   */
  rename(user: string, conversation: string, title: string): ConversationSummary {
    checkUser(user);
    if (typeof conversation !== "string") throw new MemoryError("bad_input", "the conversation id must be text");
    const clean = typeof title === "string" ? clip(oneLine(title), L.titleChars) : "";
    if (clean === "") throw new MemoryError("bad_input", "the title must have some words");
    return this.db.transaction(() => {
      if (this.sql("UPDATE memory_conversations SET title = ? WHERE id = ? AND user = ?").run(clean, conversation, user).changes === 0) throw notFound();
      const row = this.sql<[string, string], ConversationRow>(
        "SELECT c.*, (SELECT count(*) FROM memory_messages m WHERE m.conversation = c.id) AS messages FROM memory_conversations c WHERE c.id = ? AND c.user = ?",
      ).get(conversation, user)!;
      return toSummary(row);
    })();
  }

  /** Deletes one conversation, or all of this user's; returns how many conversations went. */
  forget(user: string, target: { conversation: string } | { all: true }): number {
    checkUser(user);
    return this.db.transaction(() => {
      if ("conversation" in target) {
        if (typeof target.conversation !== "string") throw new MemoryError("bad_input", "the conversation id must be text");
        this.sql("DELETE FROM memory_messages WHERE conversation = ? AND user = ?").run(target.conversation, user);
        return this.sql("DELETE FROM memory_conversations WHERE id = ? AND user = ?").run(target.conversation, user).changes;
      }
      if (target.all !== true) throw new MemoryError("bad_input", "forget takes { conversation } or { all: true }");
      this.sql("DELETE FROM memory_messages WHERE user = ?").run(user);
      return this.sql("DELETE FROM memory_conversations WHERE user = ?").run(user).changes;
    })();
  }
}

function checkUser(user: string): void {
  if (typeof user !== "string" || user.length === 0 || user.length > L.userChars)
    throw new MemoryError("bad_input", `the user must be 1 to ${L.userChars} characters`);
}

function bounded(limit: number, max: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new MemoryError("bad_input", `limit must be a whole number from 1 to ${max}`);
  return Math.min(limit, max);
}

function optionalLabel(field: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (typeof value !== "string" || value.length > L.labelChars)
    throw new MemoryError("bad_input", `${field} must be text of at most ${L.labelChars} characters`);
  return value;
}

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const UNSPACED_TERMS = 8;
const SNIPPET_CHARS = 48;

/** A short excerpt around the first of `words` in `content`, each occurrence in [brackets], like FTS5's snippet(). */
function marked(content: string, words: string[]): string {
  const flat = oneLine(content);
  const first = Math.min(...words.map((word) => flat.indexOf(word)).filter((at) => at >= 0));
  const start = Number.isFinite(first) ? Math.max(0, first - SNIPPET_CHARS / 3) : 0;
  const excerpt = flat.slice(start, start + SNIPPET_CHARS);
  const pattern = new RegExp(words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  return `${start > 0 ? "…" : ""}${excerpt.replace(pattern, "[$&]")}${start + SNIPPET_CHARS < flat.length ? "…" : ""}`;
}

const notFound = () => new MemoryError("not_found", "no such conversation");
const clip = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);
const oneLine = (text: string) => flattenControls(String(text)).replace(/\s+/g, " ").trim();

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = { id: row.id, conversation: row.conversation, role: row.role, content: row.content, createdAt: row.created_at };
  if (row.name !== null) message.name = row.name;
  if (row.tool_call_id !== null) message.toolCallId = row.tool_call_id;
  if (row.tool_calls !== null) message.toolCalls = JSON.parse(row.tool_calls) as unknown;
  if (row.model !== null) message.model = row.model;
  return message;
}

function toSummary(row: ConversationRow): ConversationSummary {
  return { id: row.id, user: row.user, title: row.title, createdAt: row.created_at, updatedAt: row.updated_at, messages: row.messages };
}
