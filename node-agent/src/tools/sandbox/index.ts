/**
 * Program sandboxes: detect.ts finds what this PC offers, plan.ts says what a program may touch,
 * bwrap.ts (Linux) and macos.ts (sandbox-exec) turn that into a command line. `wrap` is all a caller
 * needs: the command to spawn instead of the program itself.
 */
import { bwrapArgs } from "./bwrap.js";
import type { Sandbox } from "./detect.js";
import { sandboxExecArgs } from "./macos.js";
import type { SandboxPlan } from "./plan.js";

/** The program's argument vector unchanged without a sandbox, else prefixed with the sandbox's own. */
export function wrap(sandbox: Sandbox, plan: SandboxPlan, argv: readonly string[]): { command: string; args: string[] } {
  const [program, ...rest] = argv;
  if (program === undefined) throw new Error("an argument vector names its program first");
  switch (sandbox.kind) {
    case "bubblewrap":
      return { command: sandbox.path, args: [...bwrapArgs(plan), ...argv] };
    case "sandbox-exec":
      return { command: sandbox.path, args: [...sandboxExecArgs(plan), ...argv] };
    case "none":
      return { command: program, args: rest };
  }
}

/** One sentence for a tool's description, so that the owner and the model know what confines a program. */
export function sandboxSentence(sandbox: Sandbox): string {
  if (sandbox.kind === "none")
    return `It runs without a sandbox on this PC: ${sandbox.reason}; the program can read and change whatever your user account can.`;
  return `It runs in a sandbox (${sandbox.kind}): it can write only in the shared folders, cannot see your home folder or ORA's own state, and has no network unless network is true.`;
}

export { bwrapArgs, BWRAP_PROBE } from "./bwrap.js";
export { detectSandbox, findProgram, type Sandbox } from "./detect.js";
export { sandboxExecArgs, sbplString, seatbeltProfile } from "./macos.js";
export { hiddenBy, homeFolders, planFor, type SandboxPlan } from "./plan.js";
