/** Our conversation history as each API must receive it: what the fake servers recorded. */
import { afterEach, describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../node-agent/src/llm/anthropic.js";
import { OpenAIProvider } from "../../node-agent/src/llm/openai.js";
import type { ChatMessage } from "../../node-agent/src/llm/types.js";
import { startFakeAnthropic, startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { collect, KEY } from "./support.js";

const HISTORY: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Oslo and Bergen?" },
  {
    role: "assistant",
    content: "Looking.",
    toolCalls: [
      { id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' },
      { id: "c2", name: "get_weather", arguments: '{"city":"Bergen"}' },
    ],
  },
  { role: "tool", toolCallId: "c1", name: "get_weather", content: "rain, 8 °C" },
  { role: "tool", toolCallId: "c2", name: "get_weather", content: "sun, 11 °C" },
];

let fake: FakeLLM | undefined;
afterEach(async () => {
  await fake?.close();
});

describe("history sent to an OpenAI-compatible server", () => {
  it("carries the system prompt, the assistant's tool calls and each result as a tool message", async () => {
    fake = await startFakeOpenAI();
    fake.script(text("Oslo: rain. Bergen: sun."));
    await collect(new OpenAIProvider({ name: "o", model: "m", apiKey: KEY, baseURL: fake.baseURL }), { messages: HISTORY });
    expect(fake.requests[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Weather in Oslo and Bergen?" },
      {
        role: "assistant",
        content: "Looking.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "c2", type: "function", function: { name: "get_weather", arguments: '{"city":"Bergen"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "rain, 8 °C" },
      { role: "tool", tool_call_id: "c2", content: "sun, 11 °C" },
    ]);
  });

  it("asks compatible servers for max_tokens and streamed usage", async () => {
    fake = await startFakeOpenAI();
    fake.script(text("ok"));
    await collect(new OpenAIProvider({ name: "o", model: "m", apiKey: KEY, baseURL: fake.baseURL }));
    expect(fake.requests[0]?.body).toMatchObject({ max_tokens: 256, stream: true, stream_options: { include_usage: true } });
    expect(fake.requests[0]?.body).not.toHaveProperty("tools");
  });
});

describe("history sent to Anthropic", () => {
  it("moves the system prompt out of the messages and returns all tool results in one user turn", async () => {
    fake = await startFakeAnthropic();
    fake.script(text("Oslo: rain. Bergen: sun."));
    await collect(new AnthropicProvider({ name: "a", model: "m", apiKey: KEY, baseURL: fake.baseURL }), {
      messages: [...HISTORY, { role: "user", content: "Thanks; and tomorrow?" }],
    });
    const body = fake.requests[0]?.body;
    expect(body?.system).toBe("Be brief.");
    expect(body?.max_tokens).toBe(256);
    expect(body?.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Oslo and Bergen?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking." },
          { type: "tool_use", id: "c1", name: "get_weather", input: { city: "Oslo" } },
          { type: "tool_use", id: "c2", name: "get_weather", input: { city: "Bergen" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "c1", content: "rain, 8 °C" },
          { type: "tool_result", tool_use_id: "c2", content: "sun, 11 °C" },
          { type: "text", text: "Thanks; and tomorrow?" },
        ],
      },
    ]);
  });

  it("sends tool-call arguments that were not a JSON object back wrapped, not dropped", async () => {
    fake = await startFakeAnthropic();
    fake.script(text("ok"));
    const messages: ChatMessage[] = [
      { role: "user", content: "go" },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "x", arguments: "{not json" }] },
      { role: "tool", toolCallId: "c1", name: "x", content: "error: the arguments were not valid JSON; nothing ran" },
    ];
    await collect(new AnthropicProvider({ name: "a", model: "m", apiKey: KEY, baseURL: fake.baseURL }), { messages });
    const sent = fake.requests[0]?.body.messages as { content: unknown }[];
    expect(sent[1]?.content).toEqual([{ type: "tool_use", id: "c1", name: "x", input: { invalid_arguments: "{not json" } }]);
  });
});
