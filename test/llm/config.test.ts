/** Providers chosen by configuration: providers.json or the conventional environment variables. */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/errors.js";
import { chatProviderFrom, loadProviders } from "../../node-agent/src/llm/config.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { collect, KEY, textOf } from "./support.js";

const stateDir = () => mkdtempSync(join(tmpdir(), "ora-llm-config-"));

function withFile(providers: unknown, mode = 0o600): string {
  const dir = stateDir();
  const path = join(dir, "providers.json");
  writeFileSync(path, typeof providers === "string" ? providers : JSON.stringify(providers));
  chmodSync(path, mode);
  return dir;
}

function loadError(dir: string): UserError {
  try {
    loadProviders(dir, {});
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a UserError");
}

let fake: FakeLLM | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe("providers from the environment", () => {
  it("lists OpenAI and Anthropic as disabled, with what to set, when no key is present", () => {
    const { usable, all } = loadProviders(stateDir(), {});
    expect(usable).toEqual([]);
    expect(chatProviderFrom(usable)).toBeUndefined();
    expect(all).toEqual([
      expect.objectContaining({
        name: "openai",
        type: "openai",
        model: "gpt-4o-mini",
        host: "api.openai.com",
        usable: false,
        reason: "no API key: set OPENAI_API_KEY",
      }),
      expect.objectContaining({ name: "anthropic", type: "anthropic", host: "api.anthropic.com", usable: false, reason: "no API key: set ANTHROPIC_API_KEY" }),
    ]);
  });

  it("uses OPENAI_API_KEY, OPENAI_BASE_URL and ORA_OPENAI_MODEL, and the provider answers", async () => {
    fake = await startFakeOpenAI();
    fake.script(text("from env"));
    const { usable, all } = loadProviders(stateDir(), { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.baseURL, ORA_OPENAI_MODEL: "qwen2.5" });
    expect(all[0]).toMatchObject({ usable: true, model: "qwen2.5", key: "env OPENAI_API_KEY", source: "environment" });
    expect(usable.map((p) => p.id)).toEqual(["openai:qwen2.5"]);
    const provider = chatProviderFrom(usable);
    expect(provider && textOf(await collect(provider))).toBe("from env");
    expect(fake.requests[0]?.body.model).toBe("qwen2.5");
  });

  it("runs a local server keyless when OPENAI_API_KEY is none, and refuses none for a remote one", () => {
    const local = loadProviders(stateDir(), { OPENAI_API_KEY: "none", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" });
    expect(local.all[0]).toMatchObject({ usable: true, key: "env OPENAI_API_KEY" });
    const remote = loadProviders(stateDir(), { OPENAI_API_KEY: "none" });
    expect(remote.all[0]).toMatchObject({ usable: false, reason: '"apiKey": "none" is only for a server on this machine, not api.openai.com' });
  });

  it("runs a server on this machine keyless when OPENAI_BASE_URL points there and no key is set, and the provider answers", async () => {
    fake = await startFakeOpenAI();
    fake.script(text("from ollama"));
    const { usable, all } = loadProviders(stateDir(), { OPENAI_BASE_URL: fake.baseURL, ORA_OPENAI_MODEL: "llama3.1" });
    expect(all[0]).toMatchObject({ usable: true, key: "none (local server)", source: "environment", host: new URL(fake.baseURL).host });
    const provider = chatProviderFrom(usable);
    expect(provider && textOf(await collect(provider))).toBe("from ollama");
    expect(fake.requests[0]?.headers.authorization).toBe("Bearer none");
  });

  it("keeps a base URL on another machine disabled without a key, and says that only this machine's servers go keyless", () => {
    const lan = loadProviders(stateDir(), { OPENAI_BASE_URL: "http://192.168.1.20:11434/v1" });
    expect(lan.usable).toEqual([]);
    expect(lan.all[0]).toMatchObject({
      usable: false,
      reason: "no API key: set OPENAI_API_KEY; only a server on this machine (localhost, 127.0.0.1, [::1]) is used without a key",
    });
  });

  it("names the Anthropic model from ORA_ANTHROPIC_MODEL", () => {
    const { all } = loadProviders(stateDir(), { ANTHROPIC_API_KEY: KEY, ORA_ANTHROPIC_MODEL: "claude-haiku-4-5" });
    expect(all[1]).toMatchObject({ usable: true, model: "claude-haiku-4-5" });
  });

  it("never shows a key in what it reports", () => {
    const { all } = loadProviders(stateDir(), { OPENAI_API_KEY: KEY, ANTHROPIC_API_KEY: KEY });
    expect(JSON.stringify(all)).not.toContain(KEY);
  });
});

describe("providers from providers.json", () => {
  it("keeps the file's order, resolves keys by variable name or literally, and disables the keyless", () => {
    const dir = withFile({
      providers: [
        { name: "ollama", type: "openai", baseURL: "http://127.0.0.1:11434/v1", model: "llama3.1", apiKey: "none" },
        { name: "openai", type: "openai", model: "gpt-4o-mini", apiKeyEnv: "MY_OPENAI_KEY" },
        { name: "claude", type: "anthropic", model: "claude-sonnet-4-5", apiKey: KEY },
        { name: "router", type: "openai", baseURL: "https://openrouter.ai/api/v1", model: "meta-llama/llama-3.1-8b-instruct" },
      ],
    });
    const { usable, all } = loadProviders(dir, { OPENAI_API_KEY: "sk-router-key-0000" });
    expect(all.map((p) => [p.name, p.usable, p.reason ?? p.key])).toEqual([
      ["ollama", true, "none (local server)"],
      ["openai", false, 'no API key: set MY_OPENAI_KEY (or "apiKey" in providers.json)'],
      ["claude", true, "providers.json"],
      ["router", true, "env OPENAI_API_KEY"],
    ]);
    expect(usable.map((p) => p.id)).toEqual(["ollama:llama3.1", "claude:claude-sonnet-4-5", "router:meta-llama/llama-3.1-8b-instruct"]);
  });

  it("does not run a local server keyless unless the file says apiKey none", () => {
    const dir = withFile({ providers: [{ name: "ollama", type: "openai", baseURL: "http://localhost:11434/v1", model: "llama3.1" }] });
    expect(loadProviders(dir, {}).all[0]).toMatchObject({
      usable: false,
      reason: 'no API key: set OPENAI_API_KEY (or "apiKey" in providers.json, "none" for a server that needs no key)',
    });
  });

  it("refuses apiKey none for a server on another machine", () => {
    const dir = withFile({ providers: [{ name: "lan", type: "openai", baseURL: "https://gpu.example.com/v1", model: "m", apiKey: "none" }] });
    expect(loadProviders(dir, {}).all[0]).toMatchObject({
      usable: false,
      reason: '"apiKey": "none" is only for a server on this machine, not gpu.example.com',
    });
  });

  it("refuses to send a key over plain http to another machine", () => {
    const dir = withFile({ providers: [{ name: "lan", type: "openai", baseURL: "http://192.168.1.20:8000/v1", model: "m", apiKey: KEY }] });
    expect(loadProviders(dir, {}).all[0]).toMatchObject({
      usable: false,
      reason: "plain http to 192.168.1.20:8000 would send the key unencrypted: use https://",
    });
  });

  it("warns when a literal key sits in a file others can read, and not when it is 0600", () => {
    const entry = { providers: [{ name: "claude", type: "anthropic", model: "c", apiKey: KEY }] };
    expect(loadProviders(withFile(entry, 0o644), {}).all[0]?.warning).toMatch(/holds a key and others can read it: chmod 600/);
    expect(loadProviders(withFile(entry, 0o600), {}).all[0]?.warning).toBeUndefined();
  });

  it("rejects a file that is not JSON with a plain user error", () => {
    const error = loadError(withFile("{ providers: [ }"));
    expect(error.message).toMatch(/providers\.json is not valid JSON/);
  });

  it("rejects a wrong provider list, naming each problem by its place and never echoing a key", () => {
    const dir = withFile({
      providers: [
        { name: "a", type: "gemini", model: "g", apiKey: KEY },
        { name: "b", type: "openai", apiKey: KEY },
        { name: "c", type: "openai", model: "m", apikey: KEY },
        { name: "d", type: "openai", model: "m", apiKey: KEY, apiKeyEnv: "X" },
        { name: "e", type: "openai", model: "m", baseURL: "ftp://example.com" },
      ],
    });
    const error = loadError(dir);
    expect(error.message).toContain("is not a valid provider list");
    expect(error.message).toContain("providers[0].type:");
    expect(error.message).toContain("providers[1].model:");
    expect(error.message).toMatch(/providers\[2\]: .*apikey/);
    expect(error.message).toContain("providers[3]: give apiKey or apiKeyEnv, not both");
    expect(error.message).toContain("providers[4].baseURL: an http:// or https:// URL");
    expect(error.message).not.toContain(KEY);
  });

  it("rejects two providers with the same name", () => {
    const dir = withFile({
      providers: [
        { name: "x", type: "openai", model: "a" },
        { name: "x", type: "anthropic", model: "b" },
      ],
    });
    expect(loadError(dir).message).toContain("provider names must be unique");
  });

  it("fails over in the file's order when the first provider errors", async () => {
    fake = await startFakeOpenAI();
    const second = await startFakeOpenAI();
    try {
      fake.script({ status: 502 });
      second.script(text("second answered"));
      const dir = withFile({
        providers: [
          { name: "first", type: "openai", baseURL: fake.baseURL, model: "m1", apiKey: "none" },
          { name: "second", type: "openai", baseURL: second.baseURL, model: "m2", apiKey: "none", timeoutMs: 2000 },
        ],
      });
      const provider = chatProviderFrom(loadProviders(dir, {}).usable);
      const events = provider ? await collect(provider) : [];
      expect(textOf(events)).toBe("second answered");
      expect(events.at(-1)).toMatchObject({ type: "done", model: "second:m2" });
    } finally {
      await second.close();
    }
  });
});
