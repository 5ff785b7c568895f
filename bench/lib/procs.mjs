/**
 * Child processes the bench starts, and nothing else: each is remembered by its PID and stopped by
 * that PID (SIGTERM, then SIGKILL after a grace period). Nothing here looks for processes by name.
 */
import { spawn } from "node:child_process";

const children = new Set();

/** Spawns `node <args>` with the bench's own Node; output is captured for diagnostics. */
export function spawnNode(args, { env = {}, name = args[0] } = {}) {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve(code ?? signal)));
  const child = {
    name,
    proc,
    pid: proc.pid,
    exited,
    output: () => output,
    /** Resolves when the output contains `text`; rejects if the process exits or `ms` pass first. */
    waitFor(text, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          if (output.includes(text)) return resolve(output);
          if (proc.exitCode !== null || proc.signalCode !== null || Date.now() - started > ms) {
            return reject(new Error(`${name} never printed "${text}"; output:\n${output}`));
          }
          setTimeout(tick, 10);
        };
        tick();
      });
    },
    async stop(graceMs = 3000) {
      children.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      try {
        process.kill(proc.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(proc.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  children.add(child);
  return child;
}

/** Stops every child still running (used on exit paths). */
export async function stopAll() {
  await Promise.all([...children].map((c) => c.stop()));
}

/** Last-resort, synchronous: SIGKILL by PID each child still running (process 'exit' handler). */
export function killAllSync() {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      try {
        process.kill(c.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
