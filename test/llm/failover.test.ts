/** Several providers behind one: who answers when the first fails, and when failover must not happen. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AnthropicProvider } from "../../node-agent/src/llm/anthropic.js";
import { FailoverProvider } from "../../node-agent/src/llm/failover.js";
import { OpenAIProvider } from "../../node-agent/src/llm/openai.js";
import { ProviderError } from "../../node-agent/src/llm/types.js";
import { startFakeAnthropic, startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { collect, failure, KEY, textOf } from "./support.js";

describe("failover across providers", () => {
  let local: FakeLLM;
  let cloud: FakeLLM;
  let claude: FakeLLM;
  let chain: FailoverProvider;

  beforeEach(async () => {
    [local, cloud, claude] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic()]);
    chain = new FailoverProvider([
      new OpenAIProvider({ name: "ollama", model: "llama3.1", apiKey: "none", baseURL: local.baseURL, timeoutMs: 300 }),
      new OpenAIProvider({ name: "openai", model: "gpt-4o-mini", apiKey: KEY, baseURL: cloud.baseURL, timeoutMs: 2_000 }),
      new AnthropicProvider({ name: "claude", model: "claude-x", apiKey: KEY, baseURL: claude.baseURL, timeoutMs: 2_000 }),
    ]);
  });
  afterEach(async () => {
    await Promise.all([local.close(), cloud.close(), claude.close()]);
  });

  it("answers from the first provider when it works, and says so in done", async () => {
    local.script(text("local answer"));
    const events = await collect(chain);
    expect(textOf(events)).toBe("local answer");
    expect(events.at(-1)).toMatchObject({ type: "done", model: "ollama:llama3.1" });
    expect(chain.lastAnswered).toBe("ollama:llama3.1");
    expect(cloud.requests).toHaveLength(0);
  });

  it("moves to the next provider after a 500, and done names the one that answered", async () => {
    local.script({ status: 500 });
    cloud.script(text("cloud answer"));
    const events = await collect(chain);
    expect(textOf(events)).toBe("cloud answer");
    expect(events.at(-1)).toMatchObject({ type: "done", model: "openai:gpt-4o-mini" });
    expect(chain.lastAnswered).toBe("openai:gpt-4o-mini");
  });

  it("moves on when a provider times out, and across to another API", async () => {
    local.script({ hang: true });
    cloud.script({ status: 503 });
    claude.script(text("claude answer"));
    const events = await collect(chain);
    expect(textOf(events)).toBe("claude answer");
    expect(events.at(-1)).toMatchObject({ model: "claude:claude-x" });
    expect(claude.requests[0]?.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello?" }] }]);
  });

  it("does not switch once text has streamed: the failure reaches the caller", async () => {
    local.script({ stream: [{ text: "half" }], then: "drop" });
    cloud.script(text("should not be asked"));
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of chain.stream({
          messages: [{ role: "user", content: "hi" }],
          tools: [],
          maxTokens: 50,
          signal: new AbortController().signal,
        })) {
          if (event.type === "text") seen.push(event.delta);
        }
      })(),
    );
    expect(seen).toEqual(["half"]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: "ollama:llama3.1" });
    expect(cloud.requests).toHaveLength(0);
  });

  it("does not hide a refused key behind the next provider", async () => {
    local.script({ status: 401, message: "bad key" });
    const error = await failure(collect(chain));
    expect(error).toMatchObject({ retryable: false, provider: "ollama:llama3.1" });
    expect(cloud.requests).toHaveLength(0);
  });

  it("does not try the next provider when the caller cancelled", async () => {
    local.script({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("cancelled")), 50);
    const error = await failure(collect(chain, { signal: controller.signal }));
    expect(error.message).toBe("cancelled");
    expect(cloud.requests).toHaveLength(0);
  });

  it("lists every provider's failure, without keys, when all fail", async () => {
    local.script({ status: 500, message: "model not loaded" });
    cloud.script({ status: 429, message: `quota exceeded for ${KEY}` });
    claude.script({ status: 529, message: "overloaded" });
    const error = await failure(collect(chain));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toMatch(
      /^every provider failed: ollama:llama3\.1: server error \(HTTP 500\): model not loaded; openai:gpt-4o-mini: rate limited \(HTTP 429\)/,
    );
    expect(error.message).toContain("claude:claude-x: server error (HTTP 529): overloaded");
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain("sk-test");
  });
});
