import { canonicalJson } from "../safety/canonical.js";
import { describeRequester } from "../safety/requester.js";
import { askAgent, configFrom, type Command } from "./command.js";

export const approvalsCommand: Command = {
  usage: `Usage: ora-agent approvals [--json]

Lists the pending approvals of the running agent: which tool, its risk, the exact
arguments, who asked, what led to the request, and how long is left before it
expires (then it counts as denied). CRITICAL approvals show their one-time code,
which approving here needs: ora-agent approve <id> --code <code> (the code is
shown only here; a device approves CRITICAL with its passkey instead). Each
approval ends with the approve and deny commands to paste.`,
  options: { json: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags);
    const { approvals } = await askAgent(config, "approvals.list", {});
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(approvals, null, 2)}\n`);
      return 0;
    }
    if (approvals.length === 0) {
      process.stdout.write("no approvals waiting\n");
      return 0;
    }
    for (const a of approvals) {
      const code = a.code === undefined ? "" : `  code ${a.code}`;
      process.stdout.write(
        `${a.id}  ${a.risk.padEnd(8)} ${a.tool}  expires in ${timeLeft(a.expiresAt - Date.now())}${code}\n` +
          `    asked by ${describeRequester(a.requester)}; origin: ${a.origin || "(not given)"}\n` +
          `    args ${canonicalJson(a.args)}\n` +
          `    ${config.cli(a.code === undefined ? "approve" : `approve --code ${a.code}`, a.id)}   or   ${config.cli("deny", a.id)}\n`,
      );
    }
    return 0;
  },
};

export function timeLeft(ms: number): string {
  if (ms <= 0) return "0s";
  const seconds = Math.ceil(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s` : `${seconds}s`;
}
