/** The shapes and limits of the conversation history (memory.ts). Times are ms since the epoch. */

export type MessageRole = "user" | "assistant" | "tool";

export interface MessageInput {
  role: MessageRole;
  content: string;
  /** The tool's name, for a "tool" message. */
  name?: string;
  /** Which assistant tool call a "tool" message answers. */
  toolCallId?: string;
  /** The assistant's tool calls as the provider gave them; stored as JSON. */
  toolCalls?: unknown;
  model?: string;
}

export interface StoredMessage extends MessageInput {
  id: number;
  conversation: string;
  createdAt: number;
}

export interface ConversationSummary {
  id: string;
  user: string;
  title: string | null;
  createdAt: number;
  updatedAt: number;
  messages: number;
}

export interface SearchHit {
  conversation: string;
  title: string | null;
  messageId: number;
  role: MessageRole;
  /** A short excerpt around the match, with matched words in [brackets]. */
  snippet: string;
  createdAt: number;
}

/**
 * Bounds on what one profile keeps. A message's content is cut at `contentChars` (long tool output);
 * everything else past a bound is refused with a MemoryError.
 */
export const MEMORY_LIMITS = {
  userChars: 128,
  titleChars: 200,
  labelChars: 200,
  contentChars: 100_000,
  toolCallsChars: 65_536,
  messagesPerConversation: 10_000,
  conversationsPerUser: 10_000,
  historyDefault: 200,
  historyMax: 10_000,
  listDefault: 50,
  listMax: 1_000,
  searchDefault: 20,
  searchMax: 100,
  queryChars: 200,
} as const;

export const MEMORY_ERROR_CODES = ["bad_input", "not_found", "too_large"] as const;

export class MemoryError extends Error {
  constructor(
    readonly code: (typeof MEMORY_ERROR_CODES)[number],
    message: string,
  ) {
    super(message);
    this.name = "MemoryError";
  }
}
