/**
 * The safety core of one profile, assembled: database, audit, approvals, policy and the tool registry.
 * start.ts creates it once, registers tools through it, routes every tool call through `callTool`,
 * pushes `approvals.onChange` events to owner devices, and starts the control socket:
 *
 *     const safety = createSafety({ stateDir, profile, env: process.env, tools });
 *     const control = await startControlServer(handlers, stateDir);
 *     …
 *     await control.close();
 *     safety.close();
 */
import type { AppErrorCode } from "@ora/protocol";
import type Database from "better-sqlite3";
import type { Profile } from "../config.js";
import { Approvals } from "./approvals.js";
import { Audit } from "./audit.js";
import { instanceId, openDatabase, type ModuleMigrations } from "./db.js";
import { Lockdown } from "./lockdown.js";
import { policyConfig, type PolicyConfig } from "./policy-config.js";
import { RateLimiter } from "./rate-limit.js";
import { Rules, RULES_MIGRATIONS } from "./rules.js";
import { ToolRegistry, type CallOptions, type CallOutcome, type ToolInfo } from "./registry.js";
import { Tasks } from "./tasks.js";
import { Secrets } from "./secrets.js";
import { toolConfigFor } from "./tool-config.js";
import { ToolError, type Requester, type Tool, type ToolConfig } from "./tool.js";

export interface SafetyOptions {
  stateDir: string;
  profile: Profile;
  /** Where policy settings are read from (ORA_SHARED_GUEST_ALLOWED_TOOLS, ORA_APPROVAL_TTL_SEC…). */
  env?: NodeJS.ProcessEnv;
  tools?: readonly Tool[];
  /** Settings from command-line flags; they win over the environment. */
  policy?: Partial<PolicyConfig>;
  toolConfig?: ToolConfig;
  /** Migrations of modules that are not tools. */
  migrations?: readonly ModuleMigrations[];
  /** The clock, in ms since the epoch (tests move it). */
  now?: () => number;
  /** True while every standing rule is suspended (a lockdown); rules apply again once it is false. */
  rulesSuspended?: () => boolean;
}

export interface Safety {
  readonly profile: Profile;
  readonly stateDir: string;
  readonly instanceId: string;
  readonly policy: PolicyConfig;
  readonly db: Database.Database;
  readonly approvals: Approvals;
  /** Calls waiting for an approval, and their outcomes. Call tasks.recover() once listeners are in place. */
  readonly tasks: Tasks;
  readonly audit: Audit;
  /** Standing rules made while approving HIGH calls (rules.ts); suspended while the PC is in lockdown. */
  readonly rules: Rules;
  /** The owner's stop-everything switch (lockdown.ts). */
  readonly lockdown: Lockdown;
  /** This profile's named secrets, in the store ORA_SECRETS picks (the keychain is asked on first use). */
  readonly secrets: Secrets;
  register(tool: Tool): void;
  /** The tool registered under exactly this name, for methods that ask the policy about one (policy.ts judge). */
  findTool(name: string): Tool | undefined;
  listTools(requester: Requester): ToolInfo[];
  callTool(requester: Requester, name: unknown, rawArgs: unknown, options: CallOptions): Promise<CallOutcome>;
  close(): void;
}

export function createSafety(options: SafetyOptions): Safety {
  const { stateDir, profile, tools = [], env = {}, now = Date.now } = options;
  const policy = policyConfig(profile, env, options.policy);
  const toolConfig = options.toolConfig ?? toolConfigFor(stateDir, env);
  const toolMigrations = tools.flatMap((tool) => (tool.migrations ? [tool.migrations] : []));
  const db = openDatabase(stateDir, [RULES_MIGRATIONS, ...toolMigrations, ...(options.migrations ?? [])]);
  const audit = new Audit(db, now);
  const approvals = new Approvals(db, policy, audit, now);
  let tasks: Tasks | undefined;
  let lockdown: Lockdown | undefined;
  const lockedDown = () => lockdown!.active();
  // Standing rules are suspended while the PC is in lockdown (and when a caller says so, in tests).
  const rulesSuspended = () => lockedDown() || (options.rulesSuspended?.() ?? false);
  const rules: Rules = new Rules({ db, audit, approvals, toolConfig, tool: (name) => registry.find(name), suspended: rulesSuspended, now });
  const registry = new ToolRegistry({
    db,
    config: policy,
    toolConfig,
    approvals,
    tasks: () => tasks!,
    audit,
    limiter: new RateLimiter(now),
    rules,
    lockedDown,
  });
  for (const tool of tools) registry.register(tool);
  tasks = new Tasks(db, audit, approvals, (row, requester, signal) => registry.runTask(row, requester, signal), codedError, now);
  lockdown = new Lockdown(db, audit, approvals, tasks, now);
  return {
    profile,
    stateDir,
    instanceId: instanceId(db),
    policy,
    db,
    approvals,
    tasks,
    audit,
    rules,
    lockdown,
    secrets: new Secrets(stateDir, env),
    register: (tool) => {
      if (tool.migrations) throw new Error(`tool ${tool.name} has migrations: pass it to createSafety so they run on open`);
      registry.register(tool);
    },
    findTool: (name) => registry.find(name),
    listTools: (requester) => registry.listTools(requester),
    callTool: (requester, name, rawArgs, callOptions) => registry.callTool(requester, name, rawArgs, callOptions),
    close: () => {
      lockdown.close();
      tasks.close();
      approvals.close();
      db.close();
    },
  };
}

/** What a task's requester may be told of a failure: a tool's own refusal, or a plain "failed". */
export function codedError(error: unknown): { code: AppErrorCode; message: string } {
  if (error instanceof ToolError) return { code: error.code === "bad_args" ? "bad_params" : error.code, message: error.message };
  return { code: "failed", message: "the call failed" };
}

export { ApprovalError, type Approval, type ApprovalEvent, type ApprovalStatus, type ApprovalView, type Decision, type PasskeyProof } from "./approvals.js";
export { canonicalJson, sha256Hex } from "./canonical.js";
export { migrate, openDatabase, SAFETY_MIGRATIONS, type Migration, type ModuleMigrations } from "./db.js";
export { policyConfig, type PolicyConfig } from "./policy-config.js";
export { Lockdown, readLockdown, type LockdownStatus } from "./lockdown.js";
export { LOCAL_OWNER } from "./requester.js";
export { MAX_RULE_MS, RuleError, Rules, RULES_MIGRATIONS, type Always, type Rule } from "./rules.js";
export type { CallOptions, CallOutcome, ToolInfo } from "./registry.js";
export { isFinal, TaskError, Tasks, type TaskRow } from "./tasks.js";
export { ToolError, RISKS, type Requester, type Risk, type Tool, type ToolConfig, type ToolContext } from "./tool.js";
/** The zod the agent validates with: tools declared outside this package must build their schemas with it. */
export { z } from "zod";
