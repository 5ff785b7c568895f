/**
 * A channel is a front-end onto the one conversation core: it turns its platform's messages into
 * requests to the agent's handler registry (the `chat` method, the same as a paired device's), as a
 * caller with a Requester of its own, and shows the answers its platform's way. It has no rules of its
 * own: roles, allowlists, approvals and audit are the enforcement point's, as for every transport.
 * Discord is the first; a Telegram or Slack channel implements the same shape.
 */
import type { Chunk, Result } from "@ora/protocol";
import type { Caller, HandlerRegistry } from "../handlers.js";

/** Builds a command line the person can paste (`cli(flags)` in cli/invocation.ts makes one); channels never import cli/. */
export type CommandLine = (words: string, ...values: string[]) => string;

export interface Channel {
  /** "discord" */
  readonly name: string;
  /** One line for `ora-agent status` and `doctor`. */
  status(): ChannelStatus;
  close(): Promise<void>;
}

export interface ChannelStatus {
  state: "connecting" | "connected" | "stopped";
  detail?: string;
}

export type ChatAnswer = { ok: true; result: Result<"chat"> } | { ok: false; code: string; message: string };

/** One chat turn through the registry, as `caller`; `onChunk` sees the answer stream past. */
export async function converse(
  handlers: HandlerRegistry,
  caller: Caller,
  input: { text: string; conversation?: string },
  onChunk: (chunk: Chunk<"chat">) => void,
  signal: AbortSignal,
): Promise<ChatAnswer> {
  const answer = await handlers.dispatch("chat", input, caller, { signal, emit: (chunk) => onChunk(chunk as Chunk<"chat">) });
  return answer.ok ? { ok: true, result: answer.result as Result<"chat"> } : { ok: false, code: answer.error.code, message: answer.error.message };
}
