import { ApprovalCode } from "@ora/protocol";
import { ControlError } from "../control/client.js";
import { UserError } from "../errors.js";
import { askAgent, configFrom, type Command } from "./command.js";
import { approveAlwaysFromCli } from "./rules.js";
import type { CommandLine } from "./invocation.js";

export const approveCommand: Command = {
  usage: `Usage: ora-agent approve <id> [--code NNNNNN]
       ora-agent approve <id> --always [--until 7d] [--path notes/ | --host example.com]

Approves one pending tool call of the running agent, once: it runs with exactly
the arguments shown by ora-agent approvals and nothing else. CRITICAL calls need
the 6-digit code shown there; three wrong codes deny the call and lock CRITICAL
approvals for a while.

--always (HIGH calls only) also makes a standing rule: later calls of the same
tool by the same requester run without asking until --until (2h, 7d, 30d or a
date; default 7d, at most 30d): within the folder --path (file tools), on the
host --host (web.fetch), or else with exactly these arguments. The folder or
host must cover the call being approved. See: ora-agent rules.`,
  options: { code: { type: "string" }, always: { type: "boolean" }, until: { type: "string" }, path: { type: "string" }, host: { type: "string" } },
  run: ({ flags, positionals }) => {
    if (flags.always === true && positionals.length === 1) return approveAlwaysFromCli(configFrom(flags), positionals[0]!, flags);
    if (flags.until !== undefined || flags.path !== undefined || flags.host !== undefined) throw new UserError("--until, --path and --host go with --always");
    return decideFromCli("approve", flags, positionals);
  },
};

export async function decideFromCli(verdict: "approve" | "deny", flags: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number> {
  const config = configFrom(flags);
  const [id, ...extra] = positionals;
  if (!id) throw new UserError(`which approval? ${config.cli(verdict)} <id> (see: ${config.cli("approvals")})`);
  if (extra.length > 0) throw new UserError(`one approval at a time: ${config.cli(verdict)} <id>`);
  const code = typeof flags.code === "string" ? flags.code.trim() : undefined;
  if (code !== undefined && !ApprovalCode.safeParse(code).success)
    throw new UserError(`a code is 6 digits, as shown beside the approval by: ${config.cli("approvals")}`);
  try {
    const decided = await askAgent(config, "approvals.decide", { id: id.toLowerCase(), verdict, ...(code === undefined ? {} : { code }) });
    process.stdout.write(`${decided.id}: ${decided.status}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ControlError) throw new UserError(`${error.code}: ${error.message}${hint(error.code, config.cli)}`, 1);
    throw error;
  }
}

/** What to do next, for the refusals a person at the PC can act on. */
function hint(code: string, cli: CommandLine): string {
  if (code === "code_required")
    return `\nA CRITICAL approval needs its 6-digit code, as in --code 123456. The code, and the approve command to paste, are shown beside the approval by:\n  ${cli("approvals")}`;
  if (code === "not_found") return `; see what is waiting with: ${cli("approvals")}`;
  return "";
}
