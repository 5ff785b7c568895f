/**
 * What the conversation loop needs from a language model, whatever serves it. Adapters
 * (OpenAI-compatible, Anthropic) turn their SDK's streams into these events; the loop (ours) decides
 * what to do with tool calls, so every call passes the enforcement point.
 */

/** One turn of the conversation as the loop keeps it. Tool results are untrusted input. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model produced them: JSON text, not yet validated. */
  arguments: string;
}

/** A tool as offered to the model: its name, description and JSON Schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type StreamEvent =
  | { type: "text"; delta: string }
  | { type: "tool_call"; call: ToolCall }
  | {
      type: "done";
      stopReason: "end" | "tool_calls" | "length" | "other";
      usage?: { inputTokens?: number; outputTokens?: number };
      /** Which provider and model answered, as a ChatProvider id ("ollama:llama3.1"): with failover, not always the first. */
      model?: string;
    };

export interface ChatRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxTokens: number;
  signal: AbortSignal;
}

export interface ChatProvider {
  /** "openai:gpt-4o-mini" style: which provider and model answered, shown to the user. */
  readonly id: string;
  readonly model: string;
  /**
   * Streams one model response. Throws ProviderError for failures worth failing over. When the
   * request's signal aborts, the HTTP stream is cancelled and the signal's reason is thrown.
   */
  stream(request: ChatRequest): AsyncIterable<StreamEvent>;
}

/** A provider failure: `retryable` ones (5xx, timeouts, refused connections, 429) fail over to the next. */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
