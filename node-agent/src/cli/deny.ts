import { decideFromCli } from "./approve.js";
import type { Command } from "./command.js";

export const denyCommand: Command = {
  usage: `Usage: ora-agent deny <id>

Denies one pending tool call of the running agent; it will not run. A call nobody
approves before it expires is denied too.`,
  run: ({ flags, positionals }) => decideFromCli("deny", flags, positionals),
};
