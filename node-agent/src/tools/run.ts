/**
 * run.program: start one program with an argument vector, never through a shell, so "$(…)", ";" and
 * "|" in an argument are just characters. The working folder must be inside a shared root, the
 * environment is minimal (no tokens or keys inherited from the agent's own), output is capped, and on
 * timeout or cancellation the whole process group is killed, grandchildren included. Where the PC
 * offers one, the program runs in a sandbox (sandbox/): it writes only in the shared roots, sees
 * neither the home folder nor the agent's state, and has no network unless the call asks for it.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { realpathSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { z } from "zod";
import { ToolError, type Tool, type ToolContext } from "../safety/tool.js";
import { RelPath, RootRef, fsError, pickRoot, realInside, rootExists, splitRelative } from "./paths.js";
import { findProgram, hiddenBy, planFor, sandboxSentence, wrap, type Sandbox } from "./sandbox/index.js";

const MAX_ARGS = 256;
const MAX_ARG_CHARS = 32 * 1024;
/** After the process exits, how long a grandchild that kept stdout open may delay the answer. */
const DRAIN_AFTER_EXIT_MS = 1000;

const Args = z.object({
  argv: z
    .array(
      z
        .string()
        .max(MAX_ARG_CHARS)
        .refine((arg) => !arg.includes("\0"), "arguments may not contain NUL"),
    )
    .min(1)
    .max(MAX_ARGS)
    .refine((argv) => argv[0] !== "", "argv[0] names the program"),
  root: RootRef,
  /** The working folder, relative to the root; the root itself by default. */
  cwd: RelPath.default(""),
  /** Lowers the configured time limit for this call; it can never raise it. */
  timeoutMs: z.number().int().min(1).optional(),
  /**
   * Lets a sandboxed program reach the network. Part of the arguments, so the approval shows it; off
   * unless asked for. Without a sandbox the program has the network whatever this says.
   */
  network: z.boolean().default(false),
});

/** PATH to find programs, HOME and LANG so they behave; Windows programs also need SystemRoot. */
export function minimalEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const keep = process.platform === "win32" ? ["PATH", "USERPROFILE", "SystemRoot", "TEMP", "TMP"] : ["PATH", "HOME"];
  const out: NodeJS.ProcessEnv = { LANG: env.LANG ?? "C.UTF-8" };
  for (const key of keep) if (env[key] !== undefined) out[key] = env[key];
  return out;
}

interface Captured {
  text: () => string;
  bytes: () => number;
  truncated: () => boolean;
}

/** Keeps the first `cap` bytes and goes on reading, so a chatty program never blocks on a full pipe. */
function capture(stream: Readable, cap: number): Captured {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  stream.on("data", (chunk: Buffer) => {
    total += chunk.length;
    if (kept < cap) {
      const part = chunk.subarray(0, cap - kept);
      chunks.push(part);
      kept += part.length;
    }
  });
  return { text: () => Buffer.concat(chunks).toString("utf8"), bytes: () => total, truncated: () => total > kept };
}

/** run.program confined by `sandbox` (see sandbox/detect.ts); its description says which, or that none is. */
export function runProgramTool(sandbox: Sandbox): Tool<z.infer<typeof Args>> {
  return {
    name: "run.program",
    description: `Run a program with arguments (no shell) in a shared folder; returns its exit code and output (capped). It is stopped at the time limit. ${sandboxSentence(sandbox)}`,
    args: Args,
    risk: "CRITICAL",
    guestVisible: false,
    precheck: rootExists,
    run: (args, context) => runIn(sandbox, args, context),
  };
}

async function runIn(sandbox: Sandbox, { argv, root: ref, cwd, timeoutMs, network }: z.infer<typeof Args>, { signal, config }: ToolContext) {
  const root = pickRoot(config.roots, ref);
  const shown = cwd === "" ? "." : cwd;
  const dir = await realInside(config, root, splitRelative(cwd), shown);
  const info = await stat(dir).catch((err: unknown) => {
    throw fsError(err, shown);
  });
  if (!info.isDirectory()) throw new ToolError("bad_args", `"${shown}" is not a folder`);
  if (signal.aborted) throw new ToolError("failed", "the run was cancelled");
  const limit = Math.min(timeoutMs ?? config.run.timeoutMs, config.run.timeoutMs);
  const env = minimalEnv();
  let plan = planFor({ roots: config.roots, excluded: config.excluded, cwd: dir, network });
  if (sandbox.kind !== "none") {
    // The sandbox would only say "execvp failed" on its own stderr; find the program first to answer plainly.
    const program = findProgram(argv[0]!, env.PATH, dir);
    if (!program) throw new ToolError("not_found", `program not found: ${argv[0]}`);
    plan = { ...plan, programs: [realpathSync(program)] };
    if (hiddenBy(plan, realpathSync(program)))
      throw new ToolError(
        "denied",
        `program ${argv[0]} lies in a folder the sandbox hides (the home folder or ORA's state); share its folder or install it system-wide`,
      );
  }
  const { command, args } = wrap(sandbox, plan, argv);
  const started = Date.now();

  const child = spawn(command, args, {
    cwd: dir,
    env,
    shell: false,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so a kill reaches everything it started (POSIX only).
    detached: process.platform !== "win32",
    windowsHide: true,
  });
  const stdout = capture(child.stdout, config.run.maxOutputBytes);
  const stderr = capture(child.stderr, config.run.maxOutputBytes);

  let stopped: "timeout" | "cancelled" | undefined;
  const stop = (why: "timeout" | "cancelled") => {
    stopped ??= why;
    killTree(child.pid);
  };
  const timer = setTimeout(() => stop("timeout"), limit);
  const onAbort = () => stop("cancelled");
  signal.addEventListener("abort", onAbort, { once: true });

  try {
    const { code, signal: killedBy } = await ended(child);
    if (stopped === "timeout") throw new ToolError("timeout", `the program ran longer than ${limit} ms and was stopped`);
    if (stopped === "cancelled") throw new ToolError("failed", "the run was cancelled");
    return {
      exitCode: code,
      signal: killedBy,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutBytes: stdout.bytes(),
      stderrBytes: stderr.bytes(),
      stdoutTruncated: stdout.truncated(),
      stderrTruncated: stderr.truncated(),
      durationMs: Date.now() - started,
      sandbox: sandbox.kind,
      network: sandbox.kind === "none" || network,
    };
  } catch (err) {
    if (err instanceof ToolError) throw err;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === "ENOENT") throw new ToolError("not_found", `program not found: ${argv[0]}`);
    if (code === "EACCES") throw new ToolError("denied", `program may not be run: ${argv[0]}`);
    throw new ToolError("failed", `the program could not be started${code ? ` (${code})` : ""}`);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    // Whatever it left running in its group goes too. Not on Windows, where taskkill /T finds
    // the tree by pid and a pid reused after the exit could name someone else's program.
    if (process.platform !== "win32") killTree(child.pid);
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Settles when the output is complete, or soon after the exit if something else still holds the pipes. */
function ended(child: ChildProcessByStdio<null, Readable, Readable>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    let drain: NodeJS.Timeout | undefined;
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      // A background grandchild may hold the pipes open; do not wait for it for long.
      drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ code, signal });
      }, DRAIN_AFTER_EXIT_MS);
    });
    child.once("close", (code, signal) => {
      clearTimeout(drain);
      resolve({ code, signal });
    });
  });
}

function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    if (process.platform === "win32") spawn("taskkill", ["/pid", String(pid), "/T", "/F"], { windowsHide: true, stdio: "ignore" });
    else process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already gone.
  }
}
