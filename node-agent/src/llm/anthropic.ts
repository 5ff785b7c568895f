/**
 * Anthropic's Messages API through the official SDK, streaming. A tool call is a `tool_use` content
 * block whose JSON input arrives as `input_json_delta` pieces; it is emitted whole when its block
 * stops. The system prompt is a request field, not a message, and tool results go back inside a
 * user message as `tool_result` blocks.
 */
import Anthropic, { APIConnectionError, APIError } from "@anthropic-ai/sdk";
import type { ContentBlockParam, MessageCreateParamsStreaming, MessageParam, StopReason, Tool } from "@anthropic-ai/sdk/resources/messages";
import { DEFAULT_TIMEOUT_MS, translate, type AdapterOptions } from "./adapter.js";
import { endedEarly, type FailureFacts } from "./errors.js";
import type { ChatMessage, ChatProvider, ChatRequest, StreamEvent, ToolCall, ToolSpec } from "./types.js";
import { watchdog } from "./watchdog.js";

export class AnthropicProvider implements ChatProvider {
  readonly id: string;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;
  private readonly secrets: string[];

  constructor(options: AdapterOptions) {
    this.id = `${options.name}:${options.model}`;
    this.model = options.model;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.secrets = [options.apiKey];
    // authToken null keeps ANTHROPIC_AUTH_TOKEN from being read; no SDK retries (failover is ours).
    this.client = new Anthropic({
      apiKey: options.apiKey,
      authToken: null,
      baseURL: options.baseURL ?? "https://api.anthropic.com",
      maxRetries: 0,
      timeout: this.timeoutMs,
    });
  }

  async *stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    const dog = watchdog(request.signal, this.timeoutMs);
    const context = { provider: this.id, caller: request.signal, dog, idleMs: this.timeoutMs, secrets: this.secrets };
    try {
      const stream = await this.client.messages.create(this.body(request), { signal: dog.signal, timeout: this.timeoutMs });
      const tools = new Map<number, ToolCall>();
      let stop: StopReason | null = null;
      let finished = false;
      let inputTokens: number | undefined;
      let outputTokens: number | undefined;
      for await (const event of stream) {
        dog.kick();
        switch (event.type) {
          case "message_start":
            inputTokens = event.message.usage.input_tokens;
            break;
          case "content_block_start":
            if (event.content_block.type === "tool_use") tools.set(event.index, { id: event.content_block.id, name: event.content_block.name, arguments: "" });
            else if (event.content_block.type === "text" && event.content_block.text) yield { type: "text", delta: event.content_block.text };
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta") yield { type: "text", delta: event.delta.text };
            else if (event.delta.type === "input_json_delta") {
              const call = tools.get(event.index);
              if (call) call.arguments += event.delta.partial_json;
            }
            break;
          case "content_block_stop": {
            const call = tools.get(event.index);
            // A tool without parameters streams no input at all.
            if (call) yield { type: "tool_call", call: { ...call, arguments: call.arguments || "{}" } };
            break;
          }
          case "message_delta":
            stop = event.delta.stop_reason ?? stop;
            // Usage here is cumulative for the whole message.
            outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens !== null && event.usage.input_tokens !== undefined) inputTokens = event.usage.input_tokens;
            break;
          case "message_stop":
            finished = true;
            break;
        }
      }
      if (!finished) throw endedEarly(this.id);
      const usage = { ...(inputTokens === undefined ? {} : { inputTokens }), ...(outputTokens === undefined ? {} : { outputTokens }) };
      yield { type: "done", stopReason: stopReasonOf(stop, tools.size > 0), usage, model: this.id };
    } catch (error) {
      throw translate(error, context, factsOf);
    } finally {
      dog.dispose();
    }
  }

  private body(request: ChatRequest): MessageCreateParamsStreaming {
    const system = request.messages.flatMap((m) => (m.role === "system" ? [m.content] : [])).join("\n\n");
    return {
      model: this.model,
      max_tokens: request.maxTokens,
      ...(system ? { system } : {}),
      messages: toAnthropic(request.messages),
      ...(request.tools.length ? { tools: request.tools.map(toTool) } : {}),
      stream: true,
    };
  }
}

/**
 * Our history to Anthropic's turns. Every tool result of one round must sit in the single user
 * message that follows the assistant's tool_use blocks, so consecutive user-side messages (tool
 * results, then perhaps the user's next words) are merged into one.
 */
function toAnthropic(messages: ChatMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    if (message.role === "assistant") {
      const blocks: ContentBlockParam[] = message.content ? [{ type: "text", text: message.content }] : [];
      for (const call of message.toolCalls ?? []) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseInput(call.arguments) });
      out.push({ role: "assistant", content: blocks.length ? blocks : "" });
      continue;
    }
    const block: ContentBlockParam =
      message.role === "tool" ? { type: "tool_result", tool_use_id: message.toolCallId, content: message.content } : { type: "text", text: message.content };
    const last = out.at(-1);
    if (last?.role === "user" && Array.isArray(last.content)) last.content.push(block);
    else out.push({ role: "user", content: [block] });
  }
  return out;
}

/** tool_use input must be an object; arguments the model got wrong go back as they were, wrapped. */
function parseInput(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || "{}");
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { invalid_arguments: text };
}

function toTool(tool: ToolSpec): Tool {
  return { name: tool.name, description: tool.description, input_schema: { ...tool.parameters, type: "object" } };
}

function stopReasonOf(stop: StopReason | null, calledTools: boolean): "end" | "tool_calls" | "length" | "other" {
  if (stop === "tool_use" || calledTools) return "tool_calls";
  if (stop === "end_turn" || stop === "stop_sequence") return "end";
  if (stop === "max_tokens" || stop === "model_context_window_exceeded") return "length";
  return "other";
}

function factsOf(error: unknown): FailureFacts | undefined {
  if (error instanceof APIConnectionError) return { connection: true, message: error.message };
  if (error instanceof APIError) return { ...(error.status === undefined ? {} : { status: error.status }), message: error.apiMessage ?? error.message };
  return undefined;
}
