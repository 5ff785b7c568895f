/**
 * Fake language-model servers on 127.0.0.1 that speak the real wire formats, so the real SDKs can
 * be tested end to end without any provider's host:
 *
 * - startFakeOpenAI():    POST /v1/chat/completions, SSE `data: {chunk}` lines with
 *   choices[0].delta.content / delta.tool_calls[i].function.arguments pieces, finish_reason, a
 *   usage chunk when stream_options.include_usage is set, then `data: [DONE]`.
 * - startFakeAnthropic(): POST /v1/messages, SSE events message_start, content_block_start (text /
 *   tool_use), content_block_delta (text_delta / input_json_delta), content_block_stop,
 *   message_delta (stop_reason, usage), message_stop.
 *
 * Each test scripts what the next requests get, in order: `fake.script(response, response…)`.
 * A request with nothing scripted gets HTTP 500 "no scripted response left". A response is one of:
 *
 *   { stream: Piece[], stop?, usage?, then? }   a streamed answer
 *       Piece = { text: "Hel", delayMs? }                           one text delta
 *             | { tool: { id?, name, args: ['{"ci', 'ty":"Oslo"}'] }, delayMs? }
 *                                                                  one tool call, arguments in pieces
 *       stop:  "end" | "tool_calls" | "length"  (default: tool_calls when a tool piece is present)
 *       usage: { input, output } token counts (default 10 / 5)
 *       then:  "hang" keeps the connection open after the pieces, without finishing (for
 *              timeouts and aborts); "drop" destroys the connection instead of finishing
 *   { status: 500, message?: "..." }            an HTTP error with the provider's JSON error body
 *   { hang: true }                              accepts the request and never answers
 *
 * The helpers text("Hel", "lo") and toolCall("get_weather", ['{"city":', '"Oslo"}']) build the
 * common streams. Every request is recorded in `requests` (path, headers, parsed body) with a
 * `closed` promise that settles when the connection ends, and `closedEarly` set when the client
 * went away before the response was complete (an abort, or a client-side timeout).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Piece = { text: string; delayMs?: number } | { tool: { id?: string; name: string; args: string[] }; delayMs?: number };

export type FakeResponse =
  | { stream: Piece[]; stop?: "end" | "tool_calls" | "length"; usage?: { input: number; output: number }; then?: "hang" | "drop" }
  | { status: number; message?: string }
  | { hang: true };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** True once the client closed the connection before the response was complete. */
  closedEarly: boolean;
  closed: Promise<void>;
}

export interface FakeLLM {
  /** For the SDK: ends in /v1 for OpenAI, the bare origin for Anthropic (its SDK adds /v1/messages). */
  baseURL: string;
  requests: RecordedRequest[];
  script(...responses: FakeResponse[]): void;
  /** Drops whatever is still scripted and forgets the recorded requests (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export const text = (...pieces: string[]): FakeResponse => ({ stream: pieces.map((t) => ({ text: t })) });
export const toolCall = (name: string, args: string[], id?: string): FakeResponse => ({ stream: [{ tool: { name, args, ...(id ? { id } : {}) } }] });

type Flavour = "openai" | "anthropic";

export const startFakeOpenAI = () => startFake("openai");
export const startFakeAnthropic = () => startFake("anthropic");

async function startFake(flavour: Flavour): Promise<FakeLLM> {
  const queue: FakeResponse[] = [];
  const requests: RecordedRequest[] = [];
  const endpoint = flavour === "openai" ? "/v1/chat/completions" : "/v1/messages";

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // recorded as {}: the test asserting on it will say what was missing
    }
    let settle!: () => void;
    const record: RecordedRequest = { path: req.url ?? "", headers: req.headers, body, closedEarly: false, closed: new Promise((r) => (settle = r)) };
    requests.push(record);
    res.on("close", () => {
      if (!res.writableFinished) record.closedEarly = true;
      settle();
    });
    if (req.method !== "POST" || req.url !== endpoint) return sendError(res, flavour, 404, `no route ${req.method} ${req.url}`);
    const response = queue.shift() ?? { status: 500, message: "fake server: no scripted response left" };
    if ("hang" in response) return;
    if ("status" in response) return sendError(res, flavour, response.status, response.message ?? `scripted ${response.status}`);
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const model = typeof body.model === "string" ? body.model : "fake-model";
    const wire = flavour === "openai" ? openAIEvents(response, model, includeUsage(body)) : anthropicEvents(response, model);
    for (const item of wire) {
      if (res.destroyed) return;
      if (typeof item === "number") await sleep(item);
      // Waiting for each write to reach the socket keeps pieces separate on the wire, and makes
      // "drop" cut the connection after what was sent rather than before it left the buffer.
      else await new Promise((resolve) => res.write(item, resolve));
    }
    if (response.then === "hang") return;
    if (response.then === "drop") return void res.destroy();
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseURL: flavour === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    requests,
    script: (...responses) => void queue.push(...responses),
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Stream = Extract<FakeResponse, { stream: Piece[] }>;
/** Strings are written as they are; numbers are pauses in milliseconds. */
type Wire = (string | number)[];

function openAIEvents(response: Stream, model: string, usage: boolean): Wire {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model, choices, ...extra })}\n\n`;
  const delta = (d: Record<string, unknown>) => chunk([{ index: 0, delta: d, finish_reason: null }]);
  const out: Wire = [delta({ role: "assistant", content: "" })];
  let tools = 0;
  for (const piece of response.stream) {
    if (piece.delayMs) out.push(piece.delayMs);
    if ("text" in piece) {
      out.push(delta({ content: piece.text }));
      continue;
    }
    const index = tools++;
    const id = piece.tool.id ?? `call_fake_${index}`;
    out.push(delta({ tool_calls: [{ index, id, type: "function", function: { name: piece.tool.name, arguments: "" } }] }));
    for (const args of piece.tool.args) out.push(delta({ tool_calls: [{ index, function: { arguments: args } }] }));
  }
  if (response.then) return out;
  const stop = response.stop ?? (tools ? "tool_calls" : "end");
  out.push(chunk([{ index: 0, delta: {}, finish_reason: stop === "end" ? "stop" : stop }]));
  const tokens = response.usage ?? { input: 10, output: 5 };
  if (usage) out.push(chunk([], { usage: { prompt_tokens: tokens.input, completion_tokens: tokens.output, total_tokens: tokens.input + tokens.output } }));
  out.push("data: [DONE]\n\n");
  return out;
}

function anthropicEvents(response: Stream, model: string): Wire {
  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const tokens = response.usage ?? { input: 10, output: 5 };
  const out: Wire = [
    event("message_start", {
      message: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: tokens.input, output_tokens: 1 },
      },
    }),
  ];
  let index = -1;
  let open: "text" | "tool" | undefined;
  let tools = 0;
  const closeBlock = () => {
    if (open) out.push(event("content_block_stop", { index }));
    open = undefined;
  };
  for (const piece of response.stream) {
    if (piece.delayMs) out.push(piece.delayMs);
    if ("text" in piece) {
      if (open !== "text") {
        closeBlock();
        out.push(event("content_block_start", { index: ++index, content_block: { type: "text", text: "" } }));
        open = "text";
      }
      out.push(event("content_block_delta", { index, delta: { type: "text_delta", text: piece.text } }));
      continue;
    }
    closeBlock();
    const id = piece.tool.id ?? `toolu_fake_${tools++}`;
    out.push(event("content_block_start", { index: ++index, content_block: { type: "tool_use", id, name: piece.tool.name, input: {} } }));
    open = "tool";
    for (const args of piece.tool.args) out.push(event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: args } }));
  }
  if (response.then) return out;
  closeBlock();
  const stop = response.stop ?? (tools ? "tool_calls" : "end");
  const reason = { end: "end_turn", tool_calls: "tool_use", length: "max_tokens" }[stop];
  out.push(event("message_delta", { delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: tokens.output } }));
  out.push(event("message_stop", {}));
  return out;
}

function sendError(res: ServerResponse, flavour: Flavour, status: number, message: string): void {
  const body =
    flavour === "openai"
      ? { error: { message, type: status === 401 ? "invalid_request_error" : "server_error", param: null, code: status === 401 ? "invalid_api_key" : null } }
      : { type: "error", error: { type: status === 401 ? "authentication_error" : status === 429 ? "rate_limit_error" : "api_error", message } };
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return typeof options === "object" && options !== null && (options as { include_usage?: unknown }).include_usage === true;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (data += chunk));
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
