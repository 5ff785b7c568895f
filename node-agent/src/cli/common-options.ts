/**
 * The options every command takes and their help text, apart from command.ts so that the
 * dispatcher's `--help` loads nothing else.
 */
import type { ParseArgsConfig } from "node:util";

export const COMMON_OPTIONS = {
  relay: { type: "string" },
  profile: { type: "string" },
  "state-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

export const COMMON_HELP = `Options for every command:
  --relay <url>        the relay (env ORA_RELAY_URL; default: the one this state
                       directory is registered with, else http://127.0.0.1:8787)
  --profile <name>     private | shared (env ORA_PROFILE; default private)
  --state-dir <dir>    where this profile's state lives (env ORA_STATE_DIR); npm
                       start's agent uses .ora/dev/agent of the checkout
  -h, --help           show help`;
