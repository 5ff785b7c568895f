/** What the provider tests share: both adapters over their fake servers, and a stream collector. */
import { AnthropicProvider } from "../../node-agent/src/llm/anthropic.js";
import { OpenAIProvider } from "../../node-agent/src/llm/openai.js";
import type { ChatMessage, ChatProvider, StreamEvent, ToolSpec } from "../../node-agent/src/llm/types.js";
import { startFakeAnthropic, startFakeOpenAI, type FakeLLM } from "../helpers/fake-llm.js";

export const FLAVOURS = [
  { flavour: "openai", start: startFakeOpenAI, make: (o: ConstructorParameters<typeof OpenAIProvider>[0]) => new OpenAIProvider(o) },
  { flavour: "anthropic", start: startFakeAnthropic, make: (o: ConstructorParameters<typeof AnthropicProvider>[0]) => new AnthropicProvider(o) },
] as const;

export const KEY = "sk-test-0123456789abcdefSECRET";

export const WEATHER: ToolSpec = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

export const HELLO: ChatMessage[] = [
  { role: "system", content: "You are a test." },
  { role: "user", content: "Hello?" },
];

export async function collect(
  provider: ChatProvider,
  options: { messages?: ChatMessage[]; tools?: ToolSpec[]; signal?: AbortSignal } = {},
): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of provider.stream({
    messages: options.messages ?? HELLO,
    tools: options.tools ?? [],
    maxTokens: 256,
    signal: options.signal ?? AbortSignal.timeout(10_000),
  })) {
    events.push(event);
  }
  return events;
}

export const textOf = (events: StreamEvent[]) => events.flatMap((e) => (e.type === "text" ? [e.delta] : [])).join("");

/** Rejects with whatever the stream threw. */
export async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the stream to fail");
}

export type { FakeLLM };
