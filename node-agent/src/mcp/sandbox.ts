/**
 * Stdio MCP servers marked `"sandbox": true` in mcp.json run in the same sandbox as run.program: they
 * write only in the shared roots (ORA_TOOL_ROOTS), see neither the home folder nor ORA's state, and
 * have no network unless the entry also says `"network": true`. A server that asks for a sandbox is not
 * started without one: the owner asked for the confinement, so running it unconfined would be a
 * silent downgrade.
 */
import { closeSync, existsSync, openSync, readSync, realpathSync } from "node:fs";
import { isAbsolute, sep } from "node:path";
import { detectSandbox, findProgram, hiddenBy, planFor, wrap, type Sandbox } from "../tools/sandbox/index.js";
import type { StdioServerConfig } from "./config.js";

export interface McpConfinement {
  sandbox: Sandbox;
  /** Where sandboxed servers may write: the tool roots. */
  roots: readonly string[];
  /** What they may never see: every profile's state directory. */
  excluded: readonly string[];
}

export interface StdioLaunch {
  command: string;
  args: string[];
  cwd?: string;
}

/**
 * The command line that starts `server`: itself, or wrapped in the sandbox when it asks for one.
 * Without a confinement, this PC's sandbox with no writable folder.
 */
export function launchOf(server: StdioServerConfig, given?: McpConfinement, env: NodeJS.ProcessEnv = process.env): StdioLaunch {
  if (!server.sandbox) return { command: server.command, args: server.args, cwd: server.cwd };
  const confinement = given ?? { sandbox: detectSandbox(env), roots: [], excluded: [] };
  const { sandbox } = confinement;
  if (sandbox.kind === "none") throw new Error(`it asks for "sandbox": true, but ${sandbox.reason} (${sandbox.fix})`);
  // Without a working folder of its own it starts at "/": the agent's folder may be one the sandbox hides.
  const cwd = server.cwd ?? "/";
  const path = server.env.PATH ?? env.PATH;
  const program = findProgram(server.command, path, cwd);
  if (!program) throw new Error(`program not found: ${server.command}`);
  const plan = {
    ...planFor({ roots: confinement.roots, excluded: confinement.excluded, cwd, network: server.network, env }),
    programs: whatItRuns(program, path, cwd),
  };
  if (hiddenBy(plan, realpathSync(program)))
    throw new Error(`${server.command} lies in a folder the sandbox hides (the home folder or ORA's state); install it elsewhere`);
  const { command, args } = wrap(sandbox, plan, [server.command, ...server.args]);
  return { command, args, cwd };
}

/**
 * What a server needs to see of its own code, read-only, where the sandbox would otherwise start
 * empty (its own /tmp): its file, the interpreter its `#!` line names (`#!/usr/bin/env node` → the
 * `node` on its PATH), and the node_modules folder it is installed in (its dependencies).
 */
function whatItRuns(program: string, path: string | undefined, cwd: string): string[] {
  const file = realpathSync(program);
  const shown = [file];
  const interpreter = interpreterOf(file);
  const found = interpreter && (isAbsolute(interpreter) ? interpreter : findProgram(interpreter, path, cwd));
  if (found && existsSync(found)) shown.push(realpathSync(found));
  const parts = file.split(sep);
  const modules = parts.lastIndexOf("node_modules");
  if (modules > 0) shown.push(parts.slice(0, modules + 1).join(sep));
  return [...new Set(shown)];
}

/** The program a script's `#!` line runs ("node" for `#!/usr/bin/env node`), or undefined. */
function interpreterOf(file: string): string | undefined {
  let head = "";
  try {
    const fd = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(256);
      head = buffer.subarray(0, readSync(fd, buffer, 0, 256, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const line = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
  if (!line) return undefined;
  return line[1]!.endsWith("/env") ? line[2] : line[1];
}
