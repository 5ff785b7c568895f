import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import type { AuditRow } from "../safety/audit.js";
import { verifyChain } from "../safety/audit.js";
import { databasePath } from "../safety/db.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";

export const auditCommand: Command = {
  usage: `Usage: ora-agent audit [--limit N] [--json]
       ora-agent audit verify

Shows the newest entries of this profile's audit log (default 50): every request,
policy decision, approval step and tool run, with who, which tool and the hash of
its arguments. "audit verify" checks the log's hash chain and exits 0 when it is
intact, 1 when a row was edited, deleted or moved (printing the first bad row).
Reads the database directly; the agent need not be running.`,
  options: { limit: { type: "string" }, json: { type: "boolean" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const [action = "list", ...extra] = positionals;
    if (extra.length > 0 || (action !== "list" && action !== "verify"))
      throw new UserError(`unknown audit action "${positionals.join(" ")}": use ${config.cli("audit")} [verify]`);
    const path = databasePath(config.stateDir);
    if (!existsSync(path)) throw new UserError(`no audit log in ${config.stateDir} yet (the agent creates it when it starts)`, 1);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return action === "verify" ? verify(db, Boolean(flags.json)) : list(db, limitFrom(flags.limit), Boolean(flags.json));
    } finally {
      db.close();
    }
  },
};

function limitFrom(value: string | boolean | undefined): number {
  if (value === undefined) return 50;
  const limit = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value) || limit < 1 || limit > 100_000) throw new UserError("--limit takes a whole number from 1 to 100000");
  return limit;
}

function list(db: Database.Database, limit: number, json: boolean): number {
  const rows = db.prepare<[number], AuditRow>("SELECT * FROM (SELECT * FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id").all(limit);
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write("the audit log is empty\n");
  else for (const row of rows) process.stdout.write(`${format(row)}\n`);
  return 0;
}

function format(row: AuditRow): string {
  const who = row.device === null ? "agent" : row.via === "local" ? "local" : `${row.user}/${row.role}@${row.device}`;
  const parts = [`#${row.id}`, new Date(row.at).toISOString(), row.event.padEnd(16), row.status.padEnd(14), (row.tool ?? "-").padEnd(16), who];
  if (row.duration_ms !== null) parts.push(`${row.duration_ms}ms`);
  if (row.args_hash !== null) parts.push(`args ${row.args_hash.slice(0, 12)}`);
  if (row.detail !== null) parts.push(`(${row.detail})`);
  return parts.join("  ");
}

function verify(db: Database.Database, json: boolean): number {
  const result = verifyChain(db);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.ok) process.stdout.write(`audit log intact: ${result.rows} row(s), hash chain verified\n`);
  else process.stdout.write(`audit log TAMPERED: first bad row #${result.firstBadId}: ${result.reason}\n`);
  return result.ok ? 0 : 1;
}
