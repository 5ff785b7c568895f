/**
 * macOS: a sandbox-exec (Seatbelt) profile for a plan. Seatbelt applies the last rule that matches, so
 * the profile allows everything, then denies the network (unless allowed) and every write, then hides
 * the home folders and shares the roots in the same most-specific-wins order as on Linux, and ends with
 * the state directories so nothing above can reopen them. sandbox-exec is deprecated but still ships;
 * it has no die-with-parent, so run.ts's process-group kill is what ends a program there.
 */
import { dirname } from "node:path";
import { layered, type SandboxPlan } from "./plan.js";
import { within } from "../../safety/tool-config.js";

export const SANDBOX_EXEC = "/usr/bin/sandbox-exec";

/** Devices every program writes to: discarding output, its terminal and its own descriptors. */
const DEVICE_WRITES = ['(literal "/dev/null")', '(literal "/dev/zero")', '(literal "/dev/dtracehelper")', '(regex #"^/dev/tty")', '(regex #"^/dev/fd/")'];

/** An SBPL string literal: backslash and quote escaped, no control characters. */
export function sbplString(text: string): string {
  if ([...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new Error("a sandboxed path may not contain control characters");
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function seatbeltProfile(plan: SandboxPlan): string {
  const lines = ["(version 1)", "(allow default)"];
  if (!plan.network) lines.push("(deny network*)");
  lines.push("(deny file-write*)", `(allow file-write* ${DEVICE_WRITES.join(" ")})`);
  for (const { kind, path } of layered(plan)) {
    lines.push(
      kind === "hide" ? `(deny file-read* file-write* (subpath ${sbplString(path)}))` : `(allow file-read* file-write* (subpath ${sbplString(path)}))`,
    );
  }
  // A root inside a hidden folder is reached through it: let the path be looked up, not listed.
  const ancestors = new Set<string>();
  for (const root of plan.roots)
    for (const dir of plan.hidden) if (root !== dir && within(root, dir)) for (let up = dirname(root); within(up, dir); up = dirname(up)) ancestors.add(up);
  for (const dir of ancestors) lines.push(`(allow file-read-metadata (literal ${sbplString(dir)}))`);
  for (const dir of plan.excluded) lines.push(`(deny file-read* file-write* (subpath ${sbplString(dir)}))`);
  return `${lines.join("\n")}\n`;
}

/** Arguments for sandbox-exec, ending with "--": the program's own argument vector follows. */
export function sandboxExecArgs(plan: SandboxPlan): string[] {
  return ["-p", seatbeltProfile(plan), "--"];
}
