/**
 * The secretary: a message in, streamed text and tool steps out; and the conversations the PC keeps
 * (each user sees only their own).
 */
import * as z from "zod/mini";
import { EVERYONE, method } from "./define.js";
import { ApprovalRisk, ToolInfo } from "./schemas.js";
import { Schedule } from "./schedules.js";
import { Task } from "./tasks.js";

export const TOOL_STEP_STATUSES = ["running", "waiting_for_approval", "done", "refused"] as const;

/** What `chat` streams: text as the model writes it, and each tool step. */
export const ChatChunk = z.union([
  z.object({ type: z.literal("text"), delta: z.string() }),
  z.object({
    type: z.literal("tool"),
    name: z.string(),
    status: z.enum(TOOL_STEP_STATUSES),
    approval: z.optional(z.object({ id: z.string(), risk: ApprovalRisk, expiresAt: z.number() })),
    /** The durable task a waiting call became; the conversation goes on when it ends. */
    task: z.optional(z.string()),
    /** A schedule the step made (schedule.create, schedule.job): clients show its exact time. */
    schedule: z.optional(Schedule),
    error: z.optional(z.string()),
  }),
]);
export type ChatChunk = z.infer<typeof ChatChunk>;

/**
 * What a direct command said, by key, so a client can say it in its reader's language; `text` keeps
 * the English words for clients without a catalogue (the terminal, Discord). Params are plain values
 * the client puts in its own sentence.
 */
export const NOTICE_KEYS = [
  "help",
  "no_model",
  "no_tools",
  "unknown_command",
  "run_args_not_json",
  "waiting_for_approval",
  "remind_usage",
  "remind_unreadable",
  "remind_what",
  "reminder_set",
  "no_reminders",
] as const;
export const ChatNotice = z.object({
  key: z.enum(NOTICE_KEYS),
  params: z.optional(z.record(z.string(), z.union([z.string(), z.number()]))),
});
export type ChatNotice = z.infer<typeof ChatNotice>;

export const ChatResult = z.object({
  text: z.string(),
  /** A direct command's answer by key (ChatNotice); absent when the secretary wrote the text. */
  notice: z.optional(ChatNotice),
  /** The conversation this turn belongs to (absent for direct commands, which are not kept). */
  conversation: z.optional(z.string()),
  /** Which provider and model answered ("openai:gpt-4o-mini"); null when none is configured. */
  model: z.optional(z.nullable(z.string())),
  steps: z.optional(z.number().check(z.int())),
  stopped: z.optional(z.enum(["max_steps", "max_tokens"])),
  /** `/tools`: the tools listed. */
  tools: z.optional(z.array(ToolInfo)),
  /** `/run`: the tool's result. */
  result: z.optional(z.unknown()),
  /** `/run` of a tool that waits for an approval: the task it became. */
  task: z.optional(Task),
  /** `/remind`: what was scheduled, at exactly which time. */
  schedule: z.optional(Schedule),
});
export type ChatResult = z.infer<typeof ChatResult>;

export const ConversationSummary = z.object({ id: z.string(), title: z.nullable(z.string()), updatedAt: z.number(), messages: z.number().check(z.int()) });
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const chatMethods = {
  chat: method({
    description:
      "A message to the secretary (streams text and tool steps); direct commands (/tools, /run, /remind, /reminders, /help) work with or without a model.",
    roles: EVERYONE,
    params: z.object({ text: z.string().check(z.minLength(1), z.maxLength(32_000)), conversation: z.optional(z.string().check(z.maxLength(64))) }),
    chunk: ChatChunk,
    result: ChatResult,
  }),
  "conversations.list": method({
    description: "Your conversations, most recent first.",
    roles: EVERYONE,
    params: z._default(z.object({ limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(200)), 50) }), { limit: 50 }),
    result: z.object({
      conversations: z.array(ConversationSummary),
    }),
  }),
  "conversations.rename": method({
    description: "Gives one of your conversations a title of your own.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().check(z.maxLength(64)), title: z.string().check(z.trim(), z.minLength(1), z.maxLength(120)) }),
    result: ConversationSummary,
  }),
  "conversations.delete": method({
    description: "Deletes one of your conversations and its messages, for good.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().check(z.maxLength(64)) }),
    result: z.object({ deleted: z.boolean() }),
  }),
  "conversations.search": method({
    description: "Full-text search through your conversations, best matches first (matched words in [brackets] in the snippet).",
    roles: EVERYONE,
    params: z.object({
      query: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
      limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 20),
    }),
    result: z.object({
      hits: z.array(
        z.object({ conversation: z.string(), title: z.nullable(z.string()), role: z.enum(["user", "assistant"]), snippet: z.string(), at: z.number() }),
      ),
    }),
  }),
  "conversations.history": method({
    description: "The messages of one of your conversations (what was said; tool steps left out), oldest first.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().check(z.maxLength(64)), limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(500)), 200) }),
    result: z.object({
      conversation: z.string(),
      messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string(), at: z.number() })),
    }),
  }),
};

export const chatEvents = {
  conversation: {
    description: "The secretary added to one of your conversations on its own (a waiting call ended and it went on); sent to that user's devices.",
    data: z.object({ conversation: z.string(), message: z.object({ role: z.literal("assistant"), content: z.string(), at: z.number() }) }),
  },
};
