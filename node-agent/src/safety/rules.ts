/**
 * Standing rules: "always allow <tool> for <requester> within <scope> until <date>", so that a decider
 * is not asked the same HIGH question over and over. A rule is made only while approving a pending
 * HIGH approval (the decider must be allowed to decide that approval, and the scope must cover its own
 * arguments), lives at most MAX_RULE_MS, and is used only by the enforcement point, for a call the
 * decision table already sent to an approval (registry.ts): it never lets a role reach a tool the
 * table refuses, and never applies to CRITICAL.
 *
 * A rule is bound to the requester's stable key (requester.ts): another guest, or the same device
 * under another role, is another requester. Scopes are exact (rule-scopes.ts). Every use is audited
 * (`rule.used`, detail = rule id) and counted; rules can be listed, shortened, extended within the
 * limit and revoked; all of them stop at once while `suspended()` says so.
 */
import type { ApprovalStatus, Rule } from "@ora/protocol";
import type Database from "better-sqlite3";
import { basename } from "node:path";
import { ApprovalError, type Approvals, type PasskeyProof } from "./approvals.js";
import { newId } from "./ids.js";
import type { Audit } from "./audit.js";
import type { ModuleMigrations } from "./db.js";
import { callSubject, normaliseHost, pathScope, ScopeError, scopeFolder, scopeKindOf, scopeMatches, type StoredScope } from "./rule-scopes.js";
import { requesterFromColumns, requesterKey, type RequesterColumns } from "./requester.js";
import type { Requester, Tool, ToolConfig } from "./tool.js";

export type { Rule } from "@ora/protocol";

export const MAX_RULE_MS = 30 * 24 * 3_600_000;

export const RULES_MIGRATIONS: ModuleMigrations = {
  module: "rules",
  steps: [
    {
      version: 1,
      name: "standing approval rules",
      up: `
        CREATE TABLE rules (
          id TEXT PRIMARY KEY,
          tool TEXT NOT NULL,
          req_key TEXT NOT NULL,
          req_device TEXT NOT NULL, req_role TEXT NOT NULL, req_user TEXT NOT NULL, req_via TEXT NOT NULL, req_session TEXT,
          scope_json TEXT NOT NULL,
          approval TEXT NOT NULL,
          created_by TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          revoked_at INTEGER,
          uses INTEGER NOT NULL DEFAULT 0,
          last_used_at INTEGER
        ) STRICT;
        CREATE INDEX rules_lookup ON rules (tool, req_key, expires_at);
      `,
    },
  ],
};

/** What a decider asks for beside "approve": until when, and within which folder or host (else: these exact arguments). */
export interface Always {
  until: number;
  scope?: { path: string } | { host: string };
}

/** A rule that let a call run: for a folder rule, the real folder the run must stay inside. */
export interface RuleUse {
  rule: Rule;
  confine?: string;
}

export type RuleErrorCode = "bad_params" | "forbidden" | "not_found";

export class RuleError extends Error {
  constructor(
    readonly code: RuleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RuleError";
  }
}

interface Row extends RequesterColumns {
  id: string;
  tool: string;
  req_key: string;
  scope_json: string;
  approval: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  uses: number;
  last_used_at: number | null;
}

export interface RulesDeps {
  db: Database.Database;
  audit: Audit;
  approvals: Approvals;
  toolConfig: ToolConfig;
  /** The tool a name stands for now (its risk may have changed since a rule was made). */
  tool: (name: string) => Tool | undefined;
  /** True while every rule is suspended (a lockdown): then nothing matches. */
  suspended?: () => boolean;
  now?: () => number;
}

export class Rules {
  private readonly now: () => number;
  private readonly suspended: () => boolean;

  constructor(private readonly deps: RulesDeps) {
    this.now = deps.now ?? Date.now;
    this.suspended = deps.suspended ?? (() => false);
  }

  /**
   * Approves a pending HIGH approval and makes a rule from it, in one transaction: either both
   * happen or neither. Checks first that the rule may exist at all (HIGH, a live tool that is not
   * CRITICAL now, an end within MAX_RULE_MS, a scope that fits the tool and covers the approval's
   * own arguments); `approvals.decide` then checks that `decider` may decide it.
   */
  async approveAlways(id: string, always: Always, decider: Requester, passkey?: PasskeyProof): Promise<{ status: ApprovalStatus; rule: Rule }> {
    const approval = this.deps.approvals.get(id);
    if (!approval) throw new ApprovalError("not_found", `no approval ${id}`);
    if (decider.role === "guest") throw new ApprovalError("forbidden", "guests cannot decide approvals");
    const tool = this.deps.tool(approval.tool);
    if (approval.risk !== "HIGH" || tool?.risk !== "HIGH")
      throw new RuleError("forbidden", "only HIGH calls can be allowed always; CRITICAL ones are asked for every time");
    const expiresAt = this.checkUntil(always.until);
    const scope = await this.scopeFor(approval.tool, approval.args, approval.argsHash, always.scope);
    const ruleId = newId();
    const outcome = this.deps.db.transaction((): { status: ApprovalStatus } | { refused: ApprovalError } => {
      let status: ApprovalStatus;
      try {
        status = this.deps.approvals.decide(id, { verdict: "approve", ...(passkey ? { passkey } : {}) }, decider);
      } catch (error) {
        // Refused (this decider may not decide it, or it is no longer pending): no rule, and the
        // refusal's own audit row is kept.
        if (error instanceof ApprovalError) return { refused: error };
        throw error;
      }
      const created = this.now();
      const { requester } = approval;
      this.deps.db
        .prepare(
          `INSERT INTO rules (id, tool, req_key, req_device, req_role, req_user, req_via, req_session, scope_json, approval, created_by, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
        )
        .run(
          ruleId,
          approval.tool,
          requesterKey(requester),
          requester.device,
          requester.role,
          requester.user,
          requester.via,
          JSON.stringify(scope),
          approval.id,
          requesterKey(decider),
          created,
          expiresAt,
        );
      this.deps.audit.record({ event: "rule.created", who: decider, tool: approval.tool, argsHash: approval.argsHash, status: "created", detail: ruleId });
      return { status };
    })();
    if ("refused" in outcome) throw outcome.refused;
    const { status } = outcome;
    return { status, rule: this.get(ruleId)! };
  }

  /**
   * The live rule that lets this HIGH call run without asking, if any, and for a folder rule the
   * real folder its run must stay inside; the use is counted and audited. `args` are the validated
   * arguments the call will run with.
   */
  async use(requester: Requester, tool: Tool, args: unknown, argsHash: string): Promise<RuleUse | undefined> {
    if (tool.risk !== "HIGH" || this.suspended()) return undefined;
    const key = requesterKey(requester);
    // Cheap test first: most HIGH calls have no rule at all, and resolving paths touches the disk.
    if (this.live(tool.name, key).length === 0) return undefined;
    const subject = await callSubject(tool.name, args, argsHash, this.deps.toolConfig);
    // Read again after the await: a rule revoked or suspended meanwhile must not be used.
    if (this.suspended()) return undefined;
    const match = this.live(tool.name, key)
      .map((row) => ({ row, scope: parseScope(row.scope_json) }))
      .find(({ scope }) => scopeMatches(scope, subject));
    if (!match) return undefined;
    const now = this.now();
    const { changes } = this.deps.db
      .prepare("UPDATE rules SET uses = uses + 1, last_used_at = ? WHERE id = ? AND revoked_at IS NULL AND expires_at > ?")
      .run(now, match.row.id, now);
    if (changes !== 1) return undefined;
    this.deps.audit.record({ event: "rule.used", who: requester, tool: tool.name, argsHash, status: "allowed", detail: match.row.id });
    return { rule: this.get(match.row.id)!, ...(match.scope.kind === "path" ? { confine: scopeFolder(match.scope) } : {}) };
  }

  /** Owners see every rule; a sub-admin the ones it made; guests none. Newest first. */
  list(viewer: Requester, options: { all?: boolean } = {}): Rule[] {
    if (viewer.role === "guest") return [];
    const now = this.now();
    return this.deps.db
      .prepare<[], Row>("SELECT * FROM rules ORDER BY created_at DESC, rowid DESC")
      .all()
      .filter((row) => viewer.role === "owner" || row.created_by === requesterKey(viewer))
      .filter((row) => options.all || (row.revoked_at === null && row.expires_at > now))
      .map(toRule);
  }

  revoke(id: string, by: Requester): Rule {
    const row = this.mine(id, by);
    if (row.revoked_at === null) {
      this.deps.db.prepare("UPDATE rules SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(this.now(), id);
      this.deps.audit.record({ event: "rule.revoked", who: by, tool: row.tool, status: "revoked", detail: id });
    }
    return this.get(id)!;
  }

  /** Moves a live rule's end: sooner, or later but never past MAX_RULE_MS from now. */
  update(id: string, until: number, by: Requester): Rule {
    const row = this.mine(id, by);
    if (row.revoked_at !== null) throw new RuleError("bad_params", `rule ${id} is revoked`);
    if (row.expires_at <= this.now()) throw new RuleError("bad_params", `rule ${id} has expired; approve a call again to make a new one`);
    const expiresAt = this.checkUntil(until);
    this.deps.db.prepare("UPDATE rules SET expires_at = ? WHERE id = ?").run(expiresAt, id);
    this.deps.audit.record({ event: "rule.updated", who: by, tool: row.tool, status: "updated", detail: `${id} until ${new Date(expiresAt).toISOString()}` });
    return this.get(id)!;
  }

  get(id: string): Rule | undefined {
    const row = this.row(id);
    return row && toRule(row);
  }

  private checkUntil(until: number): number {
    const now = this.now();
    if (!Number.isSafeInteger(until) || until <= now) throw new RuleError("bad_params", "a rule must end in the future");
    if (until > now + MAX_RULE_MS) throw new RuleError("bad_params", "a rule lasts at most 30 days");
    return until;
  }

  private async scopeFor(tool: string, args: unknown, argsHash: string, asked: Always["scope"]): Promise<StoredScope> {
    const kind = scopeKindOf(tool);
    let scope: StoredScope;
    try {
      if (asked === undefined) scope = { kind: "args", argsHash };
      else if ("path" in asked) {
        if (kind !== "path") throw new ScopeError(`${tool} takes no folder scope`);
        scope = await pathScope(asked.path, args, this.deps.toolConfig);
      } else {
        if (kind !== "host") throw new ScopeError(`${tool} takes no host scope`);
        scope = { kind: "host", host: normaliseHost(asked.host) };
      }
    } catch (error) {
      if (error instanceof ScopeError) throw new RuleError("bad_params", error.message);
      throw error;
    }
    const own = await callSubject(tool, args, argsHash, this.deps.toolConfig);
    if (!scopeMatches(scope, own)) throw new RuleError("bad_params", "the scope does not cover the arguments of the call being approved");
    return scope;
  }

  private live(tool: string, key: string): Row[] {
    return this.deps.db
      .prepare<[string, string, number], Row>("SELECT * FROM rules WHERE tool = ? AND req_key = ? AND revoked_at IS NULL AND expires_at > ?")
      .all(tool, key, this.now());
  }

  /** A rule `by` may change: the owner any, a sub-admin its own; others are told it does not exist. */
  private mine(id: string, by: Requester): Row {
    const row = this.row(id);
    if (!row || by.role === "guest" || (by.role !== "owner" && row.created_by !== requesterKey(by))) throw new RuleError("not_found", `no rule ${id}`);
    return row;
  }

  private row(id: string): Row | undefined {
    return this.deps.db.prepare<[string], Row>("SELECT * FROM rules WHERE id = ?").get(id);
  }
}

function parseScope(json: string): StoredScope {
  return JSON.parse(json) as StoredScope;
}

function toRule(row: Row): Rule {
  const scope = parseScope(row.scope_json);
  return {
    id: row.id,
    tool: row.tool,
    requester: requesterFromColumns(row),
    scope:
      scope.kind === "path" ? { path: scope.path, root: basename(scope.root) } : scope.kind === "host" ? { host: scope.host } : { argsHash: scope.argsHash },
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    uses: row.uses,
    lastUsedAt: row.last_used_at,
  };
}
