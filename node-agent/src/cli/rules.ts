import { MAX_RULE_DAYS, type Rule } from "@ora/protocol";
import { ControlError } from "../control/client.js";
import { UserError } from "../errors.js";
import { describeRequester } from "../safety/requester.js";
import { escapeControls } from "../text.js";
import { askAgent, configFrom, type CliConfig, type Command } from "./command.js";

export const rulesCommand: Command = {
  usage: `Usage: ora-agent rules [--all] [--json]
       ora-agent rules revoke <id>
       ora-agent rules edit <id> --until <when>

Lists the live standing rules of the running agent: which tool they allow
without asking, for whom, within which folder, host or exact arguments, until
when, and how often they were used (--all: revoked and expired ones too).
Rules are made by approving a call with: ora-agent approve <id> --always.

"revoke" ends one at once: the next such call asks again.
"edit --until" moves its end: 2h, 7d, 30d or a date (2026-12-24); at most
${MAX_RULE_DAYS} days from now.`,
  options: { all: { type: "boolean" }, json: { type: "boolean" }, until: { type: "string" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const [action = "list", ...rest] = positionals;
    try {
      if (action === "revoke" || action === "edit") {
        const [id, ...extra] = rest;
        if (!id || extra.length > 0) throw new UserError(`which rule? ${config.cli(`rules ${action}`)} <id> (see: ${config.cli("rules")})`);
        if (action === "revoke") {
          const { rule } = await askAgent(config, "rules.revoke", { id });
          process.stdout.write(`revoked: ${ruleLine(rule)}\n`);
          return 0;
        }
        if (typeof flags.until !== "string") throw new UserError(`until when? ${config.cli("rules edit", id)} --until 7d`);
        const { rule } = await askAgent(config, "rules.update", { id, until: parseUntil(flags.until) });
        process.stdout.write(`${ruleLine(rule)}\n`);
        return 0;
      }
      if (action !== "list" || rest.length > 0)
        throw new UserError(
          `unknown rules action "${positionals.join(" ")}": use ${config.cli("rules")} [--all], rules revoke <id> or rules edit <id> --until <when>`,
        );
      const { rules } = await askAgent(config, "rules.list", { all: flags.all === true });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
        return 0;
      }
      if (rules.length === 0) process.stdout.write(`no standing rules (${config.cli("approve")} <id> --always makes one)\n`);
      for (const rule of rules) process.stdout.write(`${ruleLine(rule)}\n    ${config.cli("rules revoke", rule.id)}\n`);
      return 0;
    } catch (error) {
      throw cliError(error, config);
    }
  },
};

/** `approve <id> --always [--until 7d] [--path notes/ | --host example.com]`. */
export async function approveAlwaysFromCli(config: CliConfig, id: string, flags: Record<string, string | boolean | undefined>): Promise<number> {
  const path = typeof flags.path === "string" ? flags.path : undefined;
  const host = typeof flags.host === "string" ? flags.host : undefined;
  if (path !== undefined && host !== undefined) throw new UserError("a rule has one scope: --path or --host, not both");
  const until = parseUntil(typeof flags.until === "string" ? flags.until : "7d");
  const scope = path !== undefined ? { path } : host !== undefined ? { host } : undefined;
  try {
    const decided = await askAgent(config, "approvals.decide", { id: id.toLowerCase(), verdict: "approve", always: { until, ...(scope ? { scope } : {}) } });
    process.stdout.write(`${decided.id}: ${decided.status}\n`);
    if (decided.rule) process.stdout.write(`rule ${ruleLine(decided.rule)}\n    (to end it: ${config.cli("rules revoke", decided.rule.id)})\n`);
    return 0;
  } catch (error) {
    throw cliError(error, config);
  }
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90m", "2h", "7d", or a local date or date-time ("2026-12-24", "2026-12-24T18:00"), as ms since the epoch. */
export function parseUntil(text: string, now = Date.now()): number {
  const relative = /^(\d{1,4})([mhd])$/.exec(text.trim());
  if (relative) return now + Number(relative[1]) * UNITS[relative[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/.test(text.trim())) {
    const at = new Date(text.trim().includes("T") ? text.trim() : `${text.trim()}T23:59`).getTime();
    if (Number.isFinite(at)) return at;
  }
  throw new UserError(`"${text}" is not a time: say 2h, 7d, 30d or a date such as 2026-12-24 (at most ${MAX_RULE_DAYS} days away)`);
}

export function ruleLine(rule: Rule): string {
  const state = rule.revokedAt !== null ? "revoked" : rule.expiresAt <= Date.now() ? "expired" : `until ${new Date(rule.expiresAt).toLocaleString()}`;
  const used = rule.uses === 0 ? "not used yet" : `used ${rule.uses}× (last ${new Date(rule.lastUsedAt!).toLocaleString()})`;
  return escapeControls(`${rule.id}  ${rule.tool} for ${describeRequester(rule.requester)} ${scopeWords(rule.scope)}  ${state}; ${used}`);
}

export function scopeWords(scope: Rule["scope"]): string {
  if ("path" in scope) return scope.path === "" ? `anywhere in the shared folder ${scope.root}` : `within ${scope.root}/${scope.path}/`;
  if ("host" in scope) return `on host ${scope.host}`;
  return `with exactly the approved arguments (sha256 ${scope.argsHash.slice(0, 12)}…)`;
}

function cliError(error: unknown, config: CliConfig): unknown {
  if (error instanceof ControlError)
    return new UserError(
      `${error.code}: ${error.message}${error.code === "not_found" ? `; see: ${config.cli("rules")} or ${config.cli("approvals")}` : ""}`,
      1,
    );
  return error;
}
