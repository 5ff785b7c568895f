/**
 * Shared helpers for the MCP tests: the real published servers from node_modules, a log that records
 * its lines, and clean-up after every test (MCP connections closed, processes we started stopped).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { freePort } from "../helpers/ports.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { createLogger, type Logger } from "../../node-agent/src/log.js";

export const FS_SERVER = fileURLToPath(new URL("../../node_modules/.bin/mcp-server-filesystem", import.meta.url));
export const EVERYTHING_SERVER = fileURLToPath(new URL("../../node_modules/.bin/mcp-server-everything", import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs after the current test, last registered first. */
export function onCleanup(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

export function tempDir(prefix = "ora-mcp-"): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function recordingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger("debug", (line) => lines.push(line)), lines };
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The "everything" server in streamable HTTP mode on a free port; stopped by its PID after the test. */
export async function startEverythingHttp(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [EVERYTHING_SERVER, "streamableHttp"], {
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    process.kill(proc.pid!, "SIGTERM");
    await exited;
  });
  let output = "";
  proc.stdout!.on("data", (chunk) => (output += chunk));
  proc.stderr!.on("data", (chunk) => (output += chunk));
  await waitUntil(() => output.includes(`listening on port ${port}`) || proc.exitCode !== null, "the everything server listens");
  if (proc.exitCode !== null) throw new Error(`the everything server exited: ${output}`);
  return { url: `http://127.0.0.1:${port}/mcp`, proc };
}
