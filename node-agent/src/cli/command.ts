/**
 * What every command shares: the options all of them take, the Command shape the dispatcher runs,
 * and the configuration read from flags. Commands import this file, never the dispatcher (main.ts).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ParseArgsConfig } from "node:util";
import type { MethodName, ParamsInput, Result } from "@ora/protocol";
import { type AgentConfig, type ConfigFlags, resolveConfig } from "../config.js";
import { UserError } from "../errors.js";
import { processAlive, readNodeFile, readStatus } from "../state.js";
import { cli, type CommandLine, shellQuote } from "./invocation.js";

export { COMMON_HELP, COMMON_OPTIONS } from "./common-options.js";

export interface Command {
  usage: string;
  options?: ParseArgsConfig["options"];
  run(args: { flags: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

export interface CliConfig extends AgentConfig {
  /** A command line for the person to run next, pasteable as printed (invocation.ts). */
  cli: CommandLine;
}

/**
 * The profile, state directory and relay a command works on. Flags win over environment variables;
 * without either, the relay a state directory is registered with wins over the default, so that
 * every command reaches the relay `status` shows. One line on stderr says which they are (`quiet`:
 * the command shows them itself), so that a command looking at the wrong profile says so.
 */
export function configFrom(flags: Record<string, string | boolean | undefined>, { quiet = false } = {}): CliConfig {
  const resolved = resolveConfig(flags as ConfigFlags);
  const relay =
    flags.relay === undefined && !process.env.ORA_RELAY_URL ? (attempt(() => readNodeFile(resolved.stateDir)?.relay) ?? resolved.relay) : resolved.relay;
  const config = { ...resolved, relay, cli: cli(flags) };
  if (!quiet) process.stderr.write(`ora-agent: profile ${config.profile}, state ${config.stateDir}, relay ${config.relay}\n`);
  const dev = flags["state-dir"] === undefined && !process.env.ORA_STATE_DIR ? devAgentNearby(config.stateDir) : undefined;
  if (dev) process.stderr.write(`ora-agent: npm start's agent keeps its state in ${dev}; to use it from this shell: export ORA_STATE_DIR=${shellQuote(dev)}\n`);
  return config;
}

/** One request to the running agent of this state directory; when none runs, says how to start it. */
export async function askAgent<M extends MethodName>(config: CliConfig, method: M, params: ParamsInput<M>): Promise<Result<M>> {
  // Loaded here: it brings the protocol's catalogue, which commands that never ask the agent skip.
  const { AgentNotRunning, controlRequest } = await import("../control/client.js");
  try {
    return await controlRequest(config.stateDir, method, params);
  } catch (error) {
    if (error instanceof AgentNotRunning) throw new UserError(`${error.message} (start it with: ${config.cli("start")})`, error.exitCode);
    throw error;
  }
}

/**
 * `npm start` (scripts/dev.mjs) runs its agent on .ora/dev/agent of the checkout. A command run in the
 * checkout without a state directory looks at the default profile instead; when nothing runs there,
 * this finds the dev agent so that the command can say how to reach it (it never switches by itself).
 */
function devAgentNearby(stateDir: string): string | undefined {
  const running = attempt(() => {
    const status = readStatus(stateDir);
    return status !== null && status.status !== "stopped" && processAlive(status.pid);
  });
  if (running) return undefined;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, ".ora", "dev", "agent");
    if (candidate !== stateDir && existsSync(join(candidate, "node.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** A damaged state file is the command's own business to report; here it only means "unknown". */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
