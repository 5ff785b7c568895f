/** Both adapters, through their real SDKs, against fake servers speaking each provider's wire format. */
import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError } from "../../node-agent/src/llm/types.js";
import { text, toolCall } from "../helpers/fake-llm.js";
import { collect, failure, FLAVOURS, KEY, textOf, WEATHER, type FakeLLM } from "./support.js";

describe.each(FLAVOURS)("the $flavour adapter", ({ flavour, start, make }) => {
  let fake: FakeLLM;
  beforeEach(async () => {
    fake = await start();
  });
  afterEach(async () => {
    await fake.close();
  });
  const provider = (timeoutMs = 5_000) => make({ name: "fake", model: "m-1", apiKey: KEY, baseURL: fake.baseURL, timeoutMs });

  it("streams text deltas in order and ends with done, usage and which model answered", async () => {
    fake.script({ stream: [{ text: "Hel" }, { text: "lo, " }, { text: "world" }], usage: { input: 12, output: 3 } });
    const events = await collect(provider());
    expect(events.filter((e) => e.type === "text").map((e) => e.type === "text" && e.delta)).toEqual(["Hel", "lo, ", "world"]);
    expect(events.at(-1)).toEqual({ type: "done", stopReason: "end", usage: { inputTokens: 12, outputTokens: 3 }, model: "fake:m-1" });
    expect(fake.requests[0]?.body).toMatchObject({ model: "m-1", stream: true });
  });

  it("assembles two tool calls whose arguments arrive in many small pieces", async () => {
    fake.script({
      stream: [
        { text: "Checking." },
        { tool: { id: "c1", name: "get_weather", args: ['{"ci', 'ty"', ':"Os', "lo", '"}'] } },
        { tool: { id: "c2", name: "get_weather", args: ["{", '"city":', '"Bergen"', "}"] } },
      ],
    });
    const events = await collect(provider(), { tools: [WEATHER] });
    const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.call] : []));
    expect(calls).toEqual([
      { id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { id: "c2", name: "get_weather", arguments: '{"city":"Bergen"}' },
    ]);
    expect(textOf(events)).toBe("Checking.");
    expect(events.at(-1)).toMatchObject({ type: "done", stopReason: "tool_calls" });
  });

  it("gives a tool call without arguments an empty JSON object", async () => {
    fake.script(toolCall("list_notes", [], "c9"));
    const events = await collect(provider());
    expect(events.find((e) => e.type === "tool_call")).toEqual({ type: "tool_call", call: { id: "c9", name: "list_notes", arguments: "{}" } });
  });

  it("reports a cut-off answer as stopped for length", async () => {
    fake.script({ stream: [{ text: "Once upon" }], stop: "length" });
    expect((await collect(provider())).at(-1)).toMatchObject({ type: "done", stopReason: "length" });
  });

  it("cancels the HTTP stream when the caller aborts, and rethrows the caller's reason", async () => {
    fake.script({ stream: [{ text: "first" }], then: "hang" });
    const controller = new AbortController();
    const stream = provider().stream({ messages: [{ role: "user", content: "hi" }], tools: [], maxTokens: 50, signal: controller.signal });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of stream) {
          if (event.type === "text") seen.push(event.delta);
          controller.abort(new Error("user cancelled"));
        }
      })(),
    );
    expect(seen).toEqual(["first"]);
    expect(error.message).toBe("user cancelled");
    expect(error).not.toBeInstanceOf(ProviderError);
    await fake.requests[0]?.closed;
    expect(fake.requests[0]?.closedEarly).toBe(true);
  });

  it("turns a 500 into a retryable provider error", async () => {
    fake.script({ status: 500, message: "upstream exploded" });
    const error = await failure(collect(provider()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable: true, provider: "fake:m-1" });
    expect(error.message).toContain("HTTP 500");
    expect(fake.requests).toHaveLength(1);
  });

  it("turns a 429 into a retryable provider error", async () => {
    fake.script({ status: 429, message: "slow down" });
    expect(await failure(collect(provider()))).toMatchObject({ retryable: true });
  });

  it("turns a refused key into a non-retryable error whose message holds no part of the key", async () => {
    fake.script({ status: 401, message: `Incorrect API key provided: ${KEY}. Or was it sk-test-0123****CRET?` });
    const error = await failure(collect(provider()));
    expect(error).toMatchObject({ retryable: false });
    expect(error.message).toContain("the API key was refused (HTTP 401)");
    expect(error.message).not.toContain("0123");
    expect(error.message).not.toContain("SECRET");
    // The key did go out (as a bearer token or x-api-key, depending on the SDK's version).
    const headers = fake.requests[0]?.headers ?? {};
    expect(String(headers["x-api-key"] ?? headers.authorization)).toContain(KEY);
  });

  it("treats a 400 as the request's fault, not worth another provider", async () => {
    fake.script({ status: 400, message: "tools[0] is invalid" });
    expect(await failure(collect(provider()))).toMatchObject({ retryable: false });
  });

  it("treats a refused connection as retryable", async () => {
    const port = await closedPort();
    const base = flavour === "openai" ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`;
    const error = await failure(collect(make({ name: "gone", model: "m", apiKey: KEY, baseURL: base, timeoutMs: 2_000 })));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain("gone:m: connection failed");
  });

  it("gives up with a retryable timeout when the server never answers", async () => {
    fake.script({ hang: true });
    const started = Date.now();
    const error = await failure(collect(provider(300)));
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toContain("no response for 0.3 s");
    expect(Date.now() - started).toBeLessThan(3_000);
    await fake.requests[0]?.closed;
    expect(fake.requests[0]?.closedEarly).toBe(true);
  });

  it("gives up with a retryable timeout when the stream stalls halfway", async () => {
    fake.script({ stream: [{ text: "part" }], then: "hang" });
    const events: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of provider(300).stream({
          messages: [{ role: "user", content: "hi" }],
          tools: [],
          maxTokens: 50,
          signal: new AbortController().signal,
        })) {
          if (event.type === "text") events.push(event.delta);
        }
      })(),
    );
    expect(events).toEqual(["part"]);
    expect(error).toMatchObject({ retryable: true });
  });

  it("keeps streaming while pieces keep coming, however long the whole answer takes", async () => {
    fake.script({
      stream: [
        { text: "a", delayMs: 150 },
        { text: "b", delayMs: 150 },
        { text: "c", delayMs: 150 },
      ],
    });
    expect(textOf(await collect(provider(300)))).toBe("abc");
  });

  it("reports a stream that ends before the model finished as retryable", async () => {
    fake.script({ stream: [{ text: "half an ans" }], then: "drop" });
    expect(await failure(collect(provider()))).toMatchObject({ retryable: true });
  });

  it("sends the tools with their JSON Schema", async () => {
    fake.script(text("ok"));
    await collect(provider(), { tools: [WEATHER] });
    const tools = fake.requests[0]?.body.tools;
    expect(tools).toEqual(
      flavour === "openai"
        ? [{ type: "function", function: { name: "get_weather", description: WEATHER.description, parameters: WEATHER.parameters } }]
        : [{ name: "get_weather", description: WEATHER.description, input_schema: WEATHER.parameters }],
    );
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
