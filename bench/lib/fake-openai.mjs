/**
 * A minimal fake OpenAI chat-completions server for the bench, on 127.0.0.1: POST /v1/chat/completions
 * answered with the same SSE wire as test/helpers/fake-llm.ts (`startFakeOpenAI`): a role delta, one
 * `data:` chunk per piece (delta.content, or delta.tool_calls with the call's id and name, then its
 * arguments), a finish_reason chunk, a usage chunk when stream_options.include_usage is set, then
 * `data: [DONE]`. Each write waits for the socket, so pieces stay separate on the wire.
 *
 * The answer follows from the request, not from a script queue, so a run can never fall out of step:
 *   - the last message is a tool result          → text, in `pieces` pieces
 *   - the user's message contains "[tool]"       → one call of `time_now` with arguments "{}"
 *   - otherwise                                  → text, in `pieces` pieces
 * Every request is recorded with performance.now() times in this process: `arrived` (body read),
 * `first` (first content or tool piece written), `ended` (response ended), and the parsed body.
 */
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";

export const TOOL_TRIGGER = "[tool]";

/** The streamed answer's pieces: "w0 ", "w1 ", …; joined, the answer's text. */
export function answerPieces(pieces) {
  return Array.from({ length: pieces }, (_, i) => `w${i} `);
}

export async function startFakeOpenAI({ pieces = 20 } = {}) {
  const requests = [];
  const text = answerPieces(pieces);
  const server = createServer(async (req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    for await (const chunk of req) raw += chunk;
    const record = { arrived: performance.now(), first: NaN, ended: NaN, body: undefined };
    requests.push(record);
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: "server_error", param: null, code: null } }));
    }
    const body = JSON.parse(raw);
    record.body = body;
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const last = messages.at(-1);
    const lastUser = [...messages].reverse().find((m) => m.role === "user");
    const callTool = last?.role !== "tool" && typeof lastUser?.content === "string" && lastUser.content.includes(TOOL_TRIGGER);
    const model = typeof body.model === "string" ? body.model : "fake-model";
    const chunk = (choices, extra = {}) =>
      `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model, choices, ...extra })}\n\n`;
    const delta = (d) => chunk([{ index: 0, delta: d, finish_reason: null }]);
    const wire = [];
    if (callTool) {
      wire.push(delta({ tool_calls: [{ index: 0, id: `call_fake_${requests.length}`, type: "function", function: { name: "time_now", arguments: "" } }] }));
      wire.push(delta({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }));
    } else {
      for (const piece of text) wire.push(delta({ content: piece }));
    }
    wire.push(chunk([{ index: 0, delta: {}, finish_reason: callTool ? "tool_calls" : "stop" }]));
    if (body.stream_options?.include_usage === true) wire.push(chunk([], { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
    wire.push("data: [DONE]\n\n");

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const write = (s) => new Promise((resolve) => res.write(s, resolve));
    await write(delta({ role: "assistant", content: "" }));
    for (const item of wire) {
      if (res.destroyed) return;
      await write(item);
      if (Number.isNaN(record.first)) record.first = performance.now();
    }
    res.end();
    record.ended = performance.now();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    text: text.join(""),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
