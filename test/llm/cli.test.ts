/** `ora-agent models` and `ora-agent doctor` as a user runs them: real processes, fake servers on 127.0.0.1. */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN } from "../helpers/agent.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { KEY } from "./support.js";

/** Variables that would change what the commands see: the test decides them, never the machine. */
const OWN_VARIABLES = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ORA_OPENAI_MODEL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_AUTH_TOKEN",
  "ORA_ANTHROPIC_MODEL",
  "ORA_TOOL_ROOTS",
  "ORA_RELAY_URL",
  "ORA_STATE_DIR",
  "ORA_PROFILE",
];

function ora(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_VARIABLES.includes(name)));
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [AGENT_BIN, ...args], { env: { ...base, ...env } });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    proc.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

function stateDir(files: Record<string, unknown> = {}): string {
  const dir = join(tempDir("ora-llm-cli-"), "state");
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value), { mode: 0o600 });
  return dir;
}

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});

describe("ora-agent models", () => {
  it("shows both environment providers as disabled with the variable to set, and exits 1", async () => {
    const result = await ora(["models", "--state-dir", stateDir()]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("providers from the environment");
    expect(result.stdout).toMatch(/✗\s+openai\s+openai\s+gpt-4o-mini\s+api\.openai\.com\s+disabled: no API key: set OPENAI_API_KEY/);
    expect(result.stdout).toMatch(/✗\s+anthropic\s+anthropic\s+\S+\s+api\.anthropic\.com\s+disabled: no API key: set ANTHROPIC_API_KEY/);
    expect(result.stdout).toContain("No provider is usable");
  });

  it("lists providers.json in failover order as JSON, without keys", async () => {
    const dir = stateDir({
      "providers.json": {
        providers: [
          { name: "ollama", type: "openai", baseURL: "http://127.0.0.1:11434/v1", model: "llama3.1", apiKey: "none" },
          { name: "claude", type: "anthropic", model: "claude-sonnet-4-5", apiKeyEnv: "MY_CLAUDE_KEY" },
          { name: "openai", type: "openai", model: "gpt-4o-mini" },
        ],
      },
    });
    const result = await ora(["models", "--json", "--state-dir", dir], { OPENAI_API_KEY: KEY });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { source: string; providers: Record<string, unknown>[] };
    expect(report.source).toBe(join(dir, "providers.json"));
    expect(report.providers.map((p) => [p.name, p.host, p.usable, p.reason])).toEqual([
      ["ollama", "127.0.0.1:11434", true, undefined],
      ["claude", "api.anthropic.com", false, 'no API key: set MY_CLAUDE_KEY (or "apiKey" in providers.json)'],
      ["openai", "api.openai.com", true, undefined],
    ]);
    expect(result.stdout).not.toContain(KEY);
  });

  it("refuses a damaged providers.json with a plain message and exit code 2", async () => {
    const dir = stateDir({ "providers.json": { providers: [{ name: "x", type: "gemini", model: "g" }] } });
    const result = await ora(["models", "--state-dir", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a valid provider list");
    expect(result.stderr).toContain("providers[0].type");
  });

  it("explains itself with --help", async () => {
    const result = await ora(["models", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: ora-agent models [--json]");
  });
});

describe("ora-agent doctor", () => {
  let relay: Server;
  let relayURL: string;
  beforeAll(async () => {
    relay = createServer((req, res) => {
      res.writeHead(req.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: req.url === "/healthz" }));
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
    relayURL = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    relay.closeAllConnections();
    await new Promise((resolve) => relay.close(resolve));
  });
  afterEach(() => {
    fake.requests.length = 0;
  });

  function healthySetup(): { dir: string; env: Record<string, string> } {
    const dir = stateDir({
      "node.json": { relay: relayURL, nodeId: "node-test", credential: "ora_node_test-credential", registeredAt: new Date().toISOString() },
      // This test process stands in for the running agent: its pid is alive.
      "status.json": { pid: process.pid, relay: relayURL, nodeId: "node-test", status: "connected", since: new Date().toISOString() },
      "devices.json": { devices: [{ id: "dev-phone", name: "Phone", role: "owner", publicKey: "A".repeat(43), pairedAt: new Date().toISOString() }] },
      "providers.json": { providers: [{ name: "local", type: "openai", baseURL: fake.baseURL, model: "tiny", apiKey: "none" }] },
    });
    return { dir, env: { ORA_TOOL_ROOTS: tempDir("ora-llm-roots-") } };
  }

  it("passes every check of a working setup, probing the provider with a real request", async () => {
    const { dir, env } = healthySetup();
    fake.script(text("ok"));
    const result = await ora(["doctor", "--probe", "--state-dir", dir], env);
    expect(result.stdout).toMatch(/✓ state directory\s+.*\(owner only\)/);
    expect(result.stdout).toMatch(/✓ registration\s+node node-test at http:\/\/127\.0\.0\.1/);
    expect(result.stdout).toMatch(/✓ relay\s+.* is reachable/);
    expect(result.stdout).toMatch(/✓ agent\s+running \(pid \d+\), connected since/);
    expect(result.stdout).toMatch(/✓ provider local\s+tiny at 127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/✓ probe local:tiny\s+answered in \d+ ms/);
    expect(result.stdout).toMatch(/✓ tool folders\s+\//);
    expect(result.stdout).toMatch(/✓ paired devices\s+1 \(1 owner\)/);
    expect(result.stdout).toContain("all essential checks passed");
    expect(result.stdout).not.toContain("ora_node_test-credential");
    expect(result.code).toBe(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.body.messages).toEqual([{ role: "user", content: "Reply with the single word: ok" }]);
  });

  it("does not call any provider without --probe", async () => {
    const { dir, env } = healthySetup();
    const result = await ora(["doctor", "--state-dir", dir], env);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain("probe");
    expect(fake.requests).toHaveLength(0);
  });

  it("fails with what to do when the relay is unreachable, the PC unregistered and the state directory open to others", async () => {
    const dir = stateDir();
    chmodSync(dir, 0o755);
    const result = await ora(["doctor", "--state-dir", dir, "--relay", "http://127.0.0.1:9"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ state directory\s+.* is readable by others \(mode 755\)\n\s+→ chmod 700/);
    expect(result.stdout).toContain(
      `this PC is not registered with a relay\n${" ".repeat(19)}→ run npx ora-agent start --state-dir ${dir} --relay http://127.0.0.1:9\n`,
    );
    expect(result.stdout).toMatch(/✗ relay\s+cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(result.stdout).toMatch(/✗ agent\s+not running \(optional\)/);
    expect(result.stdout).toMatch(
      /✗ providers\s+none usable \(openai: no API key: set OPENAI_API_KEY; anthropic: no API key: set ANTHROPIC_API_KEY\) \(optional\)/,
    );
    expect(result.stdout).toMatch(/✗ tool folders\s+none shared/);
    expect(result.stdout).toMatch(/✗ paired devices\s+none yet \(optional\)/);
    expect(result.stdout).toContain("3 essential checks failed");
  });

  it("fails when no usable provider answers the probe, naming the failure without the key", async () => {
    const { dir, env } = healthySetup();
    writeFileSync(
      join(dir, "providers.json"),
      JSON.stringify({ providers: [{ name: "cloud", type: "openai", baseURL: fake.baseURL, model: "m", apiKeyEnv: "CLOUD_KEY" }] }),
    );
    fake.script({ status: 401, message: `Incorrect API key provided: ${KEY}` });
    const result = await ora(["doctor", "--probe", "--json", "--state-dir", dir], { ...env, CLOUD_KEY: KEY });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "probe cloud:m")).toMatchObject({
      ok: false,
      detail: expect.stringContaining("the API key was refused (HTTP 401)"),
    });
    expect(report.checks.find((c) => c.name === "probe")).toMatchObject({ ok: false, detail: "0 of 1 usable provider answered" });
    expect(result.stdout).not.toContain(KEY);
  });

  it("reports a bad ORA_TOOL_ROOTS as an essential failure", async () => {
    const { dir } = healthySetup();
    const result = await ora(["doctor", "--state-dir", dir], { ORA_TOOL_ROOTS: "relative/path" });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ tool folders\s+ORA_TOOL_ROOTS: "relative\/path" is not an absolute path/);
  });
});
