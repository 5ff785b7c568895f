/**
 * The first hour on the command line, as a newcomer meets it: which agent a command looks at, the
 * commands the CLI prints for you to run next (each one run here exactly as printed, through a shell),
 * what it says when something is refused, and output that keeps results apart from progress.
 * Real processes, a real relay, a fake model server on 127.0.0.1.
 */
import { OraClient } from "@ora/protocol";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, newStateDir, runAgentCommand, runPasted, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

// A newcomer's shell may carry these; here the tests decide which agent and model the commands see.
for (const name of [
  "ORA_STATE_DIR",
  "ORA_RELAY_URL",
  "ORA_PROFILE",
  "ORA_REMOTE_DIR",
  "ORA_TOOL_ROOTS",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
])
  delete process.env[name];

const tempDir = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

/** `ora-agent pair --yes` on the PC, until it has shown its code. */
async function startPair(stateDir: string, args: string[] = []) {
  const proc = spawn(process.execPath, [AGENT_BIN, "pair", "--state-dir", stateDir, "--yes", "--no-qr", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  await until(() => /Pairing code: \S+/.test(output) || proc.exitCode !== null, 10_000, "a pairing code");
  const code = /Pairing code: (\S+)/.exec(output)?.[1];
  if (!code) throw new Error(`pair printed no code:\n${output}`);
  return { code, exit, output: () => output };
}

/** The command a line of output offers after `label`, up to the end of the line (or a closing parenthesis). */
function offered(output: string, label: string): string {
  const line = output.split("\n").find((l) => l.includes(label));
  if (!line) throw new Error(`no "${label}" in:\n${output}`);
  return line
    .slice(line.indexOf(label) + label.length)
    .trim()
    .replace(/\)$/, "");
}

describe("the first hour on the command line", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  const remoteDir = newStateDir();
  let remotePaired = "";

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    // A model on this machine reached by its address alone (no key), as Ollama is; a shared folder for
    // the file tools; and one LOW call a minute, so that a refusal by rate is quick to reach.
    agent = await startAgent(relay.url, newStateDir(), { OPENAI_BASE_URL: fake.baseURL, ORA_TOOL_ROOTS: tempDir("ora-shared-"), ORA_RATE_LOW: "1" });
    const pair = await startPair(agent.stateDir, ["--relay", relay.url]);
    const remote = await runAgentCommand(["remote", "pair", pair.code, "--relay", relay.url, "--state-dir", remoteDir, "--name", "laptop"]);
    if ((await pair.exit) !== 0 || remote.code !== 0) throw new Error(`pairing failed:\n${pair.output()}\n${remote.stdout}${remote.stderr}`);
    remotePaired = remote.stdout;
  });
  afterAll(async () => {
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });
  afterEach(() => fake.reset());

  it("says on stderr which profile, state directory and relay each command uses, the relay being the one the state directory is registered with", async () => {
    const commands = ["devices", "approvals", "tasks", "schedules", "doctor", "models"];
    const results = await Promise.all(commands.map((command) => runAgentCommand([command, "--state-dir", agent.stateDir])));
    for (const [i, result] of results.entries())
      expect(result.stderr, commands[i]).toContain(`ora-agent: profile private, state ${agent.stateDir}, relay ${relay.url}\n`);
    const status = await runAgentCommand(["status", "--state-dir", agent.stateDir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`profile     private (${agent.stateDir})`);
    expect(status.stdout).toContain(`relay       ${relay.url}`);
  });

  it("points a command run in the checkout at npm start's agent, with an export line that works when pasted", async () => {
    const checkout = tempDir("ora-checkout-");
    mkdirSync(join(checkout, ".ora", "dev"), { recursive: true });
    symlinkSync(agent.stateDir, join(checkout, ".ora", "dev", "agent"));
    const inside = join(checkout, "web");
    mkdirSync(inside);
    const home = { XDG_DATA_HOME: tempDir("ora-home-") };

    const lost = await runAgentCommand(["status"], home, inside);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toContain("agent       not running");
    const exportLine = offered(lost.stderr, "to use it from this shell:");
    expect(exportLine).toBe(`export ORA_STATE_DIR=${join(checkout, ".ora", "dev", "agent")}`);

    const found = await runPasted(`${exportLine} && "${process.execPath}" "${AGENT_BIN}" status`, home, inside);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain(`relay       ${relay.url}`);
    expect(found.stdout).toMatch(/agent {7}connected since/);
    expect(found.stderr).not.toContain("npm start's agent");
  });

  it("pairs through the relay its state directory is registered with, and its revoke command works pasted", async () => {
    const pair = await startPair(agent.stateDir);
    const secondDir = newStateDir();
    const remote = await runAgentCommand(["remote", "pair", pair.code, "--relay", relay.url, "--state-dir", secondDir, "--name", "tablet"]);
    expect(remote.code).toBe(0);
    expect(await pair.exit).toBe(0);
    const revoke = offered(pair.output(), "revoke it any time with:");
    expect(revoke).toMatch(new RegExp(`^npx ora-agent revoke --state-dir ${agent.stateDir} (-- )?\\S+$`));
    const revoked = await runPasted(revoke);
    expect(revoked.stderr).toBe(`ora-agent: profile private, state ${agent.stateDir}, relay ${relay.url}\n`);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(/^revoked \S+; closed \d live connection\(s\)\n$/) });
  });

  it("offers a first question after remote pair that works pasted, answered by a keyless model on this machine", async () => {
    fake.script(text("Hello, ", "how can I help?"));
    const tryIt = offered(remotePaired, "Try:");
    expect(tryIt).toBe(`npx ora-agent remote ask --state-dir ${remoteDir} hello`);
    const answer = await runPasted(tryIt);
    expect(answer).toMatchObject({ code: 0, stdout: "Hello, how can I help?\n" });
  });

  it("explains a refusal by the method that got it, in the refuser's words", async () => {
    const unknown = await runAgentCommand(["remote", "ask", "/run foo.bar {}", "--state-dir", remoteDir]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("ora-agent: chat: no such tool [not_found]\n");
    expect(unknown.stderr).not.toMatch(/pairing/);

    let limited = unknown;
    for (let i = 0; i < 3 && !limited.stderr.includes("rate_limited"); i++)
      limited = await runAgentCommand(["remote", "ask", "/run time.now", "--state-dir", remoteDir]);
    expect(limited.stderr).toContain("ora-agent: chat: too many LOW calls; try again in a minute [rate_limited]\n");
  });

  it("says a CRITICAL approval needs --code and where the code is shown, and both printed commands work pasted", async () => {
    const asked = await runAgentCommand(["remote", "ask", '/run run.program {"argv":["true"]}', "--state-dir", remoteDir]);
    expect(asked.stdout).toMatch(/waits for the owner's approval as task/);
    const list = JSON.parse((await runAgentCommand(["approvals", "--json", "--state-dir", agent.stateDir])).stdout) as { id: string }[];
    const id = list.at(-1)!.id;

    const noCode = await runAgentCommand(["approve", id, "--state-dir", agent.stateDir]);
    expect(noCode.code).toBe(1);
    expect(noCode.stderr).toContain("code_required");
    expect(noCode.stderr).toContain("--code 123456");
    const approvals = noCode.stderr.trimEnd().split("\n").at(-1)!.trim();
    expect(approvals).toBe(`npx ora-agent approvals --state-dir ${agent.stateDir}`);

    const listed = await runPasted(approvals);
    const approve = listed.stdout.split("\n").find((line) => line.includes(`approve --code`) && line.includes(id));
    expect(approve).toBeDefined();
    const [command] = approve!.trim().split("   or   ");
    expect(command).toMatch(new RegExp(`^npx ora-agent approve --code \\d{6} --state-dir ${agent.stateDir} ${id}$`));
    expect(await runPasted(command!)).toMatchObject({ code: 0, stdout: `${id}: approved\n` });
  });

  it("prints a reminder's cancel command that works pasted", async () => {
    const added = await runAgentCommand(["schedules", "add", "in", "20", "minutes", "tea", "--state-dir", agent.stateDir]);
    expect(added.code).toBe(0);
    const cancel = offered(added.stdout, "(to cancel it:");
    expect(cancel).toMatch(new RegExp(`^npx ora-agent schedules cancel --state-dir ${agent.stateDir} \\S+$`));
    expect(await runPasted(cancel)).toMatchObject({ code: 0, stdout: expect.stringMatching(/^cancelled: .*tea/) });
  });

  it("keeps results on stdout apart from progress, and ends every output with a newline", async () => {
    fake.script(text("Hel", "lo"));
    const json = await runAgentCommand(["remote", "ask", "hi", "--json", "--state-dir", remoteDir]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ text: "Hello" });
    expect(json.stderr).toContain("Hello\n");

    fake.script(text("streamed"));
    const call = await runAgentCommand(["remote", "call", "chat", '{"text":"hi"}', "--state-dir", remoteDir]);
    expect(call.code).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ text: "streamed" });
    expect(call.stderr).toContain('"delta":"streamed"');

    fake.script({ stream: [{ text: "half an ans" }], then: "drop" });
    const cut = await runAgentCommand(["remote", "ask", "hi", "--state-dir", remoteDir]);
    expect(cut.code).toBe(3);
    expect(cut.stdout).toBe("half an ans\n");
    expect(cut.stderr).toMatch(/ora-agent: chat: .*\[failed\]\n$/);
  });

  it("refuses a file tool at once when no folder is shared, instead of asking for an approval that can only fail", async () => {
    const bare = await startAgent(relay.url);
    try {
      const owner = await OraClient.connect({ identity: await provisionDevice(relay, bare, "owner-phone") });
      try {
        await expect(owner.request("chat", { text: '/run files.write {"path":"a.txt","content":"x"}' })).rejects.toMatchObject({
          code: "denied",
          message: "no folders are shared with the agent (set ORA_TOOL_ROOTS)",
        });
      } finally {
        owner.close();
      }
      expect((await runAgentCommand(["approvals", "--state-dir", bare.stateDir])).stdout).toBe("no approvals waiting\n");
    } finally {
      await bare.stop();
    }
  });
});
