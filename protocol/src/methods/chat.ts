/**
 * The secretary: a message in, streamed text and tool steps out; and the conversations the PC keeps
 * (each user sees only their own).
 */
import { z } from "zod";
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
    approval: z.object({ id: z.string(), risk: ApprovalRisk, expiresAt: z.number() }).optional(),
    /** The durable task a waiting call became; the conversation goes on when it ends. */
    task: z.string().optional(),
    /** A schedule the step made (schedule.create, schedule.job): clients show its exact time. */
    schedule: Schedule.optional(),
    error: z.string().optional(),
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
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type ChatNotice = z.infer<typeof ChatNotice>;

export const ChatResult = z.object({
  text: z.string(),
  /** A direct command's answer by key (ChatNotice); absent when the secretary wrote the text. */
  notice: ChatNotice.optional(),
  /** The conversation this turn belongs to (absent for direct commands, which are not kept). */
  conversation: z.string().optional(),
  /** Which provider and model answered ("openai:gpt-4o-mini"); null when none is configured. */
  model: z.string().nullable().optional(),
  steps: z.number().int().optional(),
  stopped: z.enum(["max_steps", "max_tokens"]).optional(),
  /** `/tools`: the tools listed. */
  tools: z.array(ToolInfo).optional(),
  /** `/run`: the tool's result. */
  result: z.unknown().optional(),
  /** `/run` of a tool that waits for an approval: the task it became. */
  task: Task.optional(),
  /** `/remind`: what was scheduled, at exactly which time. */
  schedule: Schedule.optional(),
});
export type ChatResult = z.infer<typeof ChatResult>;

export const ConversationSummary = z.object({ id: z.string(), title: z.string().nullable(), updatedAt: z.number(), messages: z.number().int() });
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const chatMethods = {
  chat: method({
    description:
      "A message to the secretary (streams text and tool steps); direct commands (/tools, /run, /remind, /reminders, /help) work with or without a model.",
    roles: EVERYONE,
    params: z.object({ text: z.string().min(1).max(32_000), conversation: z.string().max(64).optional() }),
    chunk: ChatChunk,
    result: ChatResult,
  }),
  "conversations.list": method({
    description: "Your conversations, most recent first.",
    roles: EVERYONE,
    params: z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }),
    result: z.object({
      conversations: z.array(ConversationSummary),
    }),
  }),
  "conversations.rename": method({
    description: "Gives one of your conversations a title of your own.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().max(64), title: z.string().trim().min(1).max(120) }),
    result: ConversationSummary,
  }),
  "conversations.delete": method({
    description: "Deletes one of your conversations and its messages, for good.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().max(64) }),
    result: z.object({ deleted: z.boolean() }),
  }),
  "conversations.search": method({
    description: "Full-text search through your conversations, best matches first (matched words in [brackets] in the snippet).",
    roles: EVERYONE,
    params: z.object({ query: z.string().trim().min(1).max(200), limit: z.number().int().min(1).max(100).default(20) }),
    result: z.object({
      hits: z.array(
        z.object({ conversation: z.string(), title: z.string().nullable(), role: z.enum(["user", "assistant"]), snippet: z.string(), at: z.number() }),
      ),
    }),
  }),
  "conversations.history": method({
    description: "The messages of one of your conversations (what was said; tool steps left out), oldest first.",
    roles: EVERYONE,
    params: z.object({ conversation: z.string().max(64), limit: z.number().int().min(1).max(500).default(200) }),
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
