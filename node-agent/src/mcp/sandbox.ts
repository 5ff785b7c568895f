/**
 * Stdio MCP servers marked `"sandbox": true` in mcp.json run in the same sandbox as run.program: they
 * write only in the shared roots (ORA_TOOL_ROOTS), see neither the home folder nor ORA's state, and
 * have no network unless the entry also says `"network": true`. A server that asks for a sandbox is not
 * started without one: the owner asked for the confinement, so running it unconfined would be a
 * silent downgrade.
 */
import { realpathSync } from "node:fs";
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
  const program = findProgram(server.command, server.env.PATH ?? env.PATH, cwd);
  if (!program) throw new Error(`program not found: ${server.command}`);
  const plan = planFor({ roots: confinement.roots, excluded: confinement.excluded, cwd, network: server.network, env, program });
  if (hiddenBy(plan, realpathSync(program)))
    throw new Error(`${server.command} lies in a folder the sandbox hides (the home folder or ORA's state); install it elsewhere`);
  const { command, args } = wrap(sandbox, plan, [server.command, ...server.args]);
  return { command, args, cwd };
}
