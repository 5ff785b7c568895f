/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, LM Studio, vLLM, OpenRouter…)
 * through the official SDK, streaming. Tool calls arrive as pieces keyed by `index` (the id and
 * name in the first piece, the JSON arguments spread over many); they are put together here and
 * emitted whole once the stream ends.
 */
import OpenAI, { APIConnectionError, APIError } from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import { DEFAULT_TIMEOUT_MS, translate, type AdapterOptions } from "./adapter.js";
import { endedEarly, type FailureFacts } from "./errors.js";
import type { ChatMessage, ChatProvider, ChatRequest, StreamEvent, ToolCall, ToolSpec } from "./types.js";
import { watchdog } from "./watchdog.js";

export class OpenAIProvider implements ChatProvider {
  readonly id: string;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly timeoutMs: number;
  private readonly secrets: string[];
  private readonly official: boolean;

  constructor(options: AdapterOptions) {
    this.id = `${options.name}:${options.model}`;
    this.model = options.model;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.secrets = [options.apiKey];
    this.official = options.baseURL === undefined || new URL(options.baseURL).hostname === "api.openai.com";
    // Everything explicit, so the SDK reads nothing from the environment on its own; no SDK
    // retries, because trying the next provider is ours to decide.
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? "https://api.openai.com/v1",
      organization: null,
      project: null,
      maxRetries: 0,
      timeout: this.timeoutMs,
    });
  }

  async *stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    const dog = watchdog(request.signal, this.timeoutMs);
    const context = { provider: this.id, caller: request.signal, dog, idleMs: this.timeoutMs, secrets: this.secrets };
    try {
      const stream = await this.client.chat.completions.create(this.body(request), { signal: dog.signal, timeout: this.timeoutMs });
      const calls = new Map<number, ToolCall>();
      let finish: ChatCompletionChunk.Choice["finish_reason"] = null;
      let usage: { inputTokens?: number; outputTokens?: number } | undefined;
      for await (const chunk of stream) {
        dog.kick();
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices.find((c) => c.index === 0);
        if (!choice) continue;
        if (choice.delta.content) yield { type: "text", delta: choice.delta.content };
        for (const piece of choice.delta.tool_calls ?? []) addPiece(calls, piece);
        finish = choice.finish_reason ?? finish;
      }
      if (finish === null) throw endedEarly(this.id);
      for (const [index, call] of [...calls].sort(([a], [b]) => a - b)) {
        // Some servers leave out ids (older Ollama) or send no arguments for a tool without any.
        yield { type: "tool_call", call: { id: call.id || `call_${index}`, name: call.name, arguments: call.arguments || "{}" } };
      }
      // Ollama has answered tool calls with finish_reason "stop": the calls themselves are what count.
      const stopReason = calls.size > 0 || finish === "tool_calls" ? "tool_calls" : finish === "stop" ? "end" : finish === "length" ? "length" : "other";
      yield { type: "done", stopReason, ...(usage ? { usage } : {}), model: this.id };
    } catch (error) {
      throw translate(error, context, factsOf);
    } finally {
      dog.dispose();
    }
  }

  private body(request: ChatRequest): ChatCompletionCreateParamsStreaming {
    return {
      model: this.model,
      messages: request.messages.map(toOpenAI),
      ...(request.tools.length ? { tools: request.tools.map(toTool) } : {}),
      // OpenAI's own API wants max_completion_tokens (its reasoning models refuse max_tokens);
      // compatible servers (Ollama, LM Studio, vLLM, OpenRouter) all read max_tokens.
      ...(this.official ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }),
      stream: true,
      stream_options: { include_usage: true },
    };
  }
}

function addPiece(calls: Map<number, ToolCall>, piece: ChatCompletionChunk.Choice.Delta.ToolCall): void {
  const call = calls.get(piece.index) ?? { id: "", name: "", arguments: "" };
  calls.set(piece.index, call);
  // The id and name come whole in the first piece; some servers repeat them in later ones.
  call.id ||= piece.id ?? "";
  call.name ||= piece.function?.name ?? "";
  call.arguments += piece.function?.arguments ?? "";
}

function toOpenAI(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "system":
    case "user":
      return { role: message.role, content: message.content };
    case "assistant":
      return message.toolCalls?.length
        ? {
            role: "assistant",
            content: message.content || null,
            tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })),
          }
        : { role: "assistant", content: message.content };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  }
}

function toTool(tool: ToolSpec): ChatCompletionTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

function factsOf(error: unknown): FailureFacts | undefined {
  if (error instanceof APIConnectionError) return { connection: true, message: error.message };
  if (error instanceof APIError) return { ...(error.status === undefined ? {} : { status: error.status }), message: error.message };
  return undefined;
}
