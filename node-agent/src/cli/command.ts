/**
 * What every command shares: the options all of them take, the Command shape the dispatcher runs,
 * and the configuration read from flags. Commands import this file, never the dispatcher (main.ts).
 */
import type { ParseArgsConfig } from "node:util";
import { resolveConfig, type ConfigFlags } from "../config.js";

export const COMMON_OPTIONS = {
  relay: { type: "string" },
  profile: { type: "string" },
  "state-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

export const COMMON_HELP = `Options for every command:
  --relay <url>        the relay (env ORA_RELAY_URL; default http://127.0.0.1:8787)
  --profile <name>     private | shared (env ORA_PROFILE; default private)
  --state-dir <dir>    where this profile's state lives (env ORA_STATE_DIR)
  -h, --help           show help`;

export interface Command {
  summary: string;
  usage: string;
  options?: ParseArgsConfig["options"];
  run(args: { flags: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

export function configFrom(flags: Record<string, string | boolean | undefined>) {
  return resolveConfig(flags as ConfigFlags);
}
