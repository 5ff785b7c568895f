/** Runs the real `ora-agent start` process against a relay, with its own state directory. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const AGENT_BIN = fileURLToPath(new URL("../../node-agent/bin/ora-agent.js", import.meta.url));

export interface AgentProcess {
  proc: ChildProcess;
  stateDir: string;
  output(): string;
  node(): { nodeId: string; credential: string };
  waitFor(text: string, ms?: number): Promise<void>;
  /** Resolves with the exit code once the process ends on its own; rejects after `ms`. */
  exit(ms?: number): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Secrets in secrets.json unless a test asks otherwise: a test agent never writes to the keychain of
 * the desktop it runs on (test/safety/keychain.test.ts runs its own Secret Service).
 */
const TEST_ENV = { ORA_SECRETS: "file" };

export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), "ora-agent-test-"));
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runAgentCommand(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CommandResult> {
  return collect(spawn(process.execPath, [AGENT_BIN, ...args], { env: { ...process.env, ...TEST_ENV, ...env }, ...(cwd ? { cwd } : {}) }));
}

/** The same, with `input` on its standard input, then end of file: `ora-agent … < file`. */
export function runAgentCommandWithInput(args: string[], input: string, env: Record<string, string> = {}): Promise<CommandResult> {
  const proc = spawn(process.execPath, [AGENT_BIN, ...args], { env: { ...process.env, ...TEST_ENV, ...env } });
  // A command that fails before reading its input closes the pipe under us: EPIPE, which is no failure here.
  proc.stdin!.on("error", () => {});
  proc.stdin!.end(input);
  return collect(proc);
}

/** The checkout's root: where `npx ora-agent` finds the agent, as a person runs it there. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs a command line exactly as the CLI (or `npm start`) printed it, through a POSIX shell, the way
 * a person pastes it. npm stays offline: `npx ora-agent` must be found in the checkout, never fetched.
 */
export function runPasted(line: string, env: Record<string, string> = {}, cwd = REPO_ROOT): Promise<CommandResult> {
  return collect(spawn("sh", ["-c", line], { env: { ...process.env, npm_config_offline: "true", ...TEST_ENV, ...env }, cwd }));
}

function collect(proc: ChildProcess): Promise<CommandResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (d) => (stdout += d));
    proc.stderr!.on("data", (d) => (stderr += d));
    proc.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `command` runs the agent: this repository's by default, an installed `ora-agent` in test/packages. */
export async function startAgent(
  relay: string,
  stateDir = newStateDir(),
  env: Record<string, string> = {},
  command: string[] = [process.execPath, AGENT_BIN],
): Promise<AgentProcess> {
  const agent = spawnAgent(relay, stateDir, env, command);
  await agent.waitFor("connected; waiting for requests");
  return agent;
}

/** `ora-agent start` without waiting for it to connect (for agents the relay is expected to refuse). */
export function spawnAgent(
  relay: string,
  stateDir = newStateDir(),
  env: Record<string, string> = {},
  command: string[] = [process.execPath, AGENT_BIN],
): AgentProcess {
  const [program, ...args] = command;
  const proc = spawn(program!, [...args, "start", "--relay", relay, "--state-dir", stateDir], {
    env: { ...process.env, ...TEST_ENV, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const agent: AgentProcess = {
    proc,
    stateDir,
    output: () => output,
    node: () => storedNode(stateDir),
    waitFor(text, ms = 10_000) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const tick = () => {
          if (output.includes(text)) return resolve();
          if (proc.exitCode !== null || Date.now() - started > ms) return reject(new Error(`agent never printed "${text}"; output:\n${output}`));
          setTimeout(tick, 20);
        };
        tick();
      });
    },
    exit(ms = 10_000) {
      return Promise.race([
        exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`agent still running after ${ms} ms; output:\n${output}`)), ms).unref()),
      ]);
    },
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
  return agent;
}

/** The registration in node.json with the Node credential from secrets.json (or node.json, as agents before the secret store wrote it). */
export function storedNode(stateDir: string): { nodeId: string; relay: string; credential: string } {
  const node = JSON.parse(readFileSync(join(stateDir, "node.json"), "utf8"));
  const secrets = existsSync(join(stateDir, "secrets.json")) ? JSON.parse(readFileSync(join(stateDir, "secrets.json"), "utf8")) : {};
  return { ...node, credential: node.credential ?? secrets["node.credential"] };
}
