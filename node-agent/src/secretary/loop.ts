/**
 * The conversation loop: the user's message → the model (streaming) → tool calls, each through the
 * one enforcement point (and, when it says so, an owner's approval) → results back to the model →
 * the streamed answer. The loop is ours, not an SDK's, so that no tool call can skip the policy.
 *
 * Everything the model reads besides the system prompt is data: tool output carries a marker, and
 * nothing in it can change policy or decide an approval (those go through separate channels). An
 * approval request says which untrusted input preceded the call that needs it.
 */
import { type ChatChunk, Schedule, withFileNames } from "@ora/protocol";
import type { ChatMessage, ChatProvider, ToolCall } from "../llm/types.js";
import type { Requester, Safety } from "../safety/index.js";
import { ToolError } from "../safety/tool.js";
import { excerpt, NOTICE, readableText, stillWaiting, SYSTEM_PROMPT, toolResultText, waitingForApproval } from "./prompt.js";
import { toolNames } from "./tool-names.js";

/** Tools a device reaches through its own methods, never the model: files.upload places a file the device sent. */
const NOT_FOR_THE_MODEL: ReadonlySet<string> = new Set(["files.upload"]);

/** The part of the memory module the loop needs. */
export interface ConversationStore {
  startConversation(user: string, title?: string): string;
  append(
    user: string,
    conversation: string,
    message: { role: "user" | "assistant" | "tool"; content: string; name?: string; toolCallId?: string; toolCalls?: unknown; model?: string },
  ): number;
  history(user: string, conversation: string, limit?: number): { role: string; content: string; name?: string; toolCallId?: string; toolCalls?: unknown }[];
}

export interface LoopLimits {
  /** Model calls per turn (each tool round is one more). */
  maxSteps: number;
  /** Output tokens per model call and in all per turn. */
  maxTokens: number;
  /** Messages of earlier history sent along. */
  historyMessages: number;
}

/** Tools whose result carries a schedule the client shows with its exact time. */
const MAKES_SCHEDULES = new Set(["schedule.create", "schedule.job"]);

export const DEFAULT_LIMITS: LoopLimits = { maxSteps: 8, maxTokens: 4096, historyMessages: 40 };

/** What the client sees stream past while the secretary works (a part of the `chat` method's chunks). */
export type TurnEvent = ChatChunk;

export interface TurnResult {
  text: string;
  conversation: string;
  /** Which provider and model answered ("openai:gpt-4o-mini"). */
  model: string;
  steps: number;
  stopped?: "max_steps" | "max_tokens";
}

export interface TurnContext {
  requester: Requester;
  /** How the requester is named in approval requests ("guest-tablet"). */
  who: string;
  signal: AbortSignal;
  emit(event: TurnEvent): void;
}

export async function runTurn(
  /** `notice`: the text is the PC's own word (a waiting call ended), kept out of the history people read. */
  input: { text: string; conversation?: string; notice?: boolean },
  context: TurnContext,
  deps: { provider: ChatProvider; safety: Safety; memory: ConversationStore; limits?: LoopLimits },
): Promise<TurnResult> {
  const { provider, safety, memory } = deps;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const user = context.requester.user;
  // Titled from the first words, or, for files sent alone, from their names (not the English line naming them).
  const conversation = input.conversation ?? memory.startConversation(user, excerpt(withFileNames(input.text), 60));
  const earlier = fromUserTurn(memory.history(user, conversation, limits.historyMessages).map(toChatMessage));
  memory.append(user, conversation, { role: "user", content: input.text, ...(input.notice ? { name: NOTICE } : {}) });

  const waiting = safety.tasks.openIn(conversation);
  const messages: ChatMessage[] = [
    { role: "system", content: SYSTEM_PROMPT },
    ...(waiting.length > 0 ? [{ role: "system" as const, content: stillWaiting(waiting) }] : []),
    ...earlier,
    { role: "user", content: input.text },
  ];
  const names = toolNames(safety.listTools(context.requester).filter((tool) => !NOT_FOR_THE_MODEL.has(tool.name)));
  // The newest text that did not come from the owner's own hand: a guest's message, or tool output.
  let untrusted = context.requester.role === "owner" ? undefined : `message from ${context.who}: "${excerpt(input.text)}"`;
  let answered = "";
  let last = "";
  let model = provider.id;
  let outputTokens = 0;
  let steps = 0;

  for (;;) {
    steps++;
    context.signal.throwIfAborted();
    let text = "";
    const calls: ToolCall[] = [];
    for await (const event of provider.stream({ messages, tools: names.specs, maxTokens: limits.maxTokens, signal: context.signal })) {
      if (event.type === "text") {
        text += event.delta;
        context.emit({ type: "text", delta: event.delta });
      } else if (event.type === "tool_call") calls.push(event.call);
      else {
        outputTokens += event.usage?.outputTokens ?? 0;
        if ("model" in event && typeof event.model === "string") model = event.model;
      }
    }
    answered += text;
    last = text;
    if (calls.length === 0) return finish();
    messages.push({ role: "assistant", content: text, toolCalls: calls });
    memory.append(user, conversation, { role: "assistant", content: text, toolCalls: calls, model });
    for (const call of calls) {
      const content = await runToolCall(call, conversation);
      messages.push({ role: "tool", toolCallId: call.id, name: call.name, content });
      memory.append(user, conversation, { role: "tool", content, name: call.name, toolCallId: call.id });
    }
    if (steps >= limits.maxSteps) return finish("max_steps");
    if (outputTokens >= limits.maxTokens) return finish("max_tokens");
  }

  function finish(stopped?: TurnResult["stopped"]): TurnResult {
    // Text that came with tool calls is already stored with them; the final message is stored here.
    if (!stopped) memory.append(user, conversation, { role: "assistant", content: last, model });
    return { text: answered, conversation, model, steps, ...(stopped ? { stopped } : {}) };
  }

  async function runToolCall(call: ToolCall, conversation: string): Promise<string> {
    const name = names.toReal(call.name);
    let args: unknown;
    try {
      args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
    } catch {
      context.emit({ type: "tool", name, status: "refused", error: "the arguments are not JSON" });
      return "error: the arguments were not valid JSON; nothing ran";
    }
    context.emit({ type: "tool", name, status: "running" });
    const origin = `${model} in a chat with ${context.who}${untrusted ? `; last untrusted input: ${untrusted}` : ""}`;
    try {
      const outcome = await safety.callTool(context.requester, name, args, { origin, signal: context.signal, conversation, toolCall: call.id });
      if (outcome.status === "waiting") {
        const { task } = outcome;
        context.emit({
          type: "tool",
          name,
          status: "waiting_for_approval",
          approval: { id: task.approval, risk: task.risk, expiresAt: task.expiresAt },
          task: task.id,
        });
        return waitingForApproval(task);
      }
      const { result } = outcome;
      const scheduled = MAKES_SCHEDULES.has(name) ? Schedule.safeParse((result as { schedule?: unknown } | null)?.schedule) : undefined;
      context.emit({ type: "tool", name, status: "done", ...(scheduled?.success ? { schedule: scheduled.data } : {}) });
      const content = toolResultText(result);
      untrusted = `output of ${name}: "${excerpt(readableText(result))}"`;
      return content;
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      // The model is told, and the conversation goes on without the tool.
      context.emit({ type: "tool", name, status: "refused", error: `${error.code}: ${error.message}` });
      return `error: ${error.code}: ${error.message}`;
    }
  }
}

function toChatMessage(stored: { role: string; content: string; name?: string; toolCallId?: string; toolCalls?: unknown }): ChatMessage {
  if (stored.role === "tool") return { role: "tool", toolCallId: stored.toolCallId ?? "", name: stored.name ?? "", content: stored.content };
  if (stored.role === "assistant")
    return { role: "assistant", content: stored.content, ...(Array.isArray(stored.toolCalls) ? { toolCalls: stored.toolCalls as ToolCall[] } : {}) };
  return { role: "user", content: stored.content };
}

/** History cut by a limit may start mid-exchange (a tool result without its call): start at a user turn. */
function fromUserTurn(messages: ChatMessage[]): ChatMessage[] {
  const first = messages.findIndex((m) => m.role === "user");
  return first === -1 ? [] : messages.slice(first);
}
