/**
 * The tool registry and the one enforcement point: `callTool` is the only way any tool runs, and
 * `listTools` shows a requester exactly the tools it could call. Every step is audited.
 *
 * A call goes: name check (exact ASCII match) → policy verdict (policy.ts) → rate limit per requester
 * and risk → argument size cap and schema → the tool's precheck → a standing rule for HIGH (rules.ts)
 * → approval for HIGH/CRITICAL (approvals.ts) → run.
 */
import type { ToolInfo } from "@ora/protocol";
import type Database from "better-sqlite3";
import { z } from "zod";
import type { ApprovalRisk, ToolCallResult } from "@ora/protocol";
import type { Approvals } from "./approvals.js";
import type { Audit } from "./audit.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import { auditableName, checkRequestedName, isValidToolName } from "./names.js";
import type { PolicyConfig } from "./policy-config.js";
import { judge, needsApproval, UNKNOWN_TOOL_RISK, visible } from "./policy.js";
import type { RateLimiter } from "./rate-limit.js";
import type { Rules } from "./rules.js";
import type { TaskRow, Tasks } from "./tasks.js";
import { requesterKey } from "./requester.js";
import { ToolError, type Requester, type Tool, type ToolConfig } from "./tool.js";
import { flattenControls } from "../text.js";

export interface CallOptions {
  signal?: AbortSignal;
  /** Which untrusted input led to this call ("chat message from …", "web page …"); shown with approvals. */
  origin: string;
  /** The conversation and the model's tool call it came from, kept with its task if it waits. */
  conversation?: string;
  toolCall?: string;
}

/** A call ran now, or waits for an owner's approval as a durable task (tasks.ts). */
export type CallOutcome = ToolCallResult;

export type { ToolInfo } from "@ora/protocol";

export interface RegistryDeps {
  db: Database.Database;
  config: PolicyConfig;
  toolConfig: ToolConfig;
  approvals: Approvals;
  /** Created after the registry (tasks run through it), hence a getter. */
  tasks: () => Tasks;
  audit: Audit;
  limiter: RateLimiter;
  /** Standing rules (rules.ts): a live matching one lets a HIGH call run without asking. */
  rules?: Pick<Rules, "use">;
  /** True while the PC is in lockdown (lockdown.ts): every call that would need an approval is refused. */
  lockedDown?: () => boolean;
}

const LOCKED_DOWN = "this PC is in lockdown: HIGH and CRITICAL calls are refused until the owner unlocks it at the PC (ora-agent unlock)";

const MAX_ORIGIN = 200;

export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(private readonly deps: RegistryDeps) {}

  register(tool: Tool): this {
    if (!isValidToolName(tool.name)) throw new Error(`tool name "${tool.name}" must be lower-case ASCII words joined by . _ or -`);
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is already registered`);
    this.tools.set(tool.name, tool);
    return this;
  }

  /** The tool registered under exactly this name. */
  find(name: string): Tool | undefined {
    return this.tools.get(name);
  }

  listTools(requester: Requester): ToolInfo[] {
    return [...this.tools.values()]
      .filter((tool) => visible(requester, tool, this.deps.config))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((tool) => ({
        name: tool.name,
        description: tool.description,
        risk: tool.risk,
        needsApproval: needsApproval(tool.risk),
        parameters: jsonSchema(tool),
      }));
  }

  async callTool(requester: Requester, name: unknown, rawArgs: unknown, options: CallOptions): Promise<CallOutcome> {
    const { audit, config } = this.deps;
    const shownName = auditableName(name);
    const checked = checkRequestedName(name);
    const tool = checked.ok ? this.tools.get(checked.name) : undefined;
    const risk = tool?.risk ?? UNKNOWN_TOOL_RISK;
    const argsText = canonicalArgs(rawArgs, config.maxArgsBytes);
    const argsHash = argsText.ok ? sha256Hex(argsText.json) : undefined;
    const base = { who: requester, tool: shownName, argsHash };
    audit.record({ ...base, event: "request", status: "received", detail: `risk ${risk}` });
    const refuse = (code: ToolError["code"], message: string, detail = message): never => {
      audit.record({ ...base, event: "policy", status: code, detail });
      throw new ToolError(code, message);
    };

    const verdict = judge(requester, tool, config);
    if (verdict.kind === "refuse") return refuse(verdict.code, verdict.message, checked.ok ? verdict.message : checked.reason);
    if (!tool) return refuse("not_found", "no such tool");
    if (verdict.kind === "approve" && this.deps.lockedDown?.()) return refuse("locked_down", LOCKED_DOWN);
    if (!this.deps.limiter.take(`${requesterKey(requester)}|${risk}`, config.ratePerMinute[risk]))
      return refuse("rate_limited", `too many ${risk} calls; try again in a minute`);
    if (!argsText.ok) return refuse("bad_args", argsText.message);
    // Validate a fresh copy of exactly the text that was hashed: what runs is what was approved,
    // whatever the caller does with its own object while the call waits.
    const parsed = tool.args.safeParse(JSON.parse(argsText.json));
    if (!parsed.success) return refuse("bad_args", describeIssues(parsed.error));
    const args: unknown = parsed.data;
    try {
      tool.precheck?.(args, this.deps.toolConfig);
    } catch (error) {
      if (error instanceof ToolError) return refuse(error.code, error.message);
      throw error;
    }
    audit.record({ ...base, event: "policy", status: verdict.kind === "approve" ? "needs_approval" : "allowed" });

    // Only what the table sent to an approval can be waved through, so a rule never widens what a role may use.
    const ruled = verdict.kind === "approve" ? await this.deps.rules?.use(requester, tool, args, argsHash!) : undefined;
    if (ruled) return { status: "done", result: await this.run(tool, args, requester, argsHash!, options.signal, ruled.confine) };
    if (verdict.kind === "approve") {
      const request = {
        tool: tool.name,
        argsJson: argsText.json,
        argsHash: argsHash!,
        risk: tool.risk as ApprovalRisk,
        requester,
        origin: cleanOrigin(options.origin),
      };
      const approval = this.deps.approvals.open(request);
      return { status: "waiting", task: this.deps.tasks().create(approval, argsText.json, options) };
    }
    return { status: "done", result: await this.run(tool, args, requester, argsHash!, options.signal) };
  }

  /**
   * Runs an approved task's call (its approval is already used). The enforcement point judges it
   * again: the tool may have gone, or the rules changed, since it was asked for.
   */
  async runTask(task: TaskRow, requester: Requester, signal: AbortSignal): Promise<unknown> {
    const tool = this.tools.get(task.tool);
    const verdict = judge(requester, tool, this.deps.config);
    if (verdict.kind === "refuse" || !tool) {
      this.deps.audit.record({
        event: "policy",
        who: requester,
        tool: task.tool,
        argsHash: task.args_hash,
        status: "denied",
        detail: `${task.id}: refused at run time`,
      });
      throw new ToolError(verdict.kind === "refuse" ? verdict.code : "not_found", verdict.kind === "refuse" ? verdict.message : "no such tool any more");
    }
    if (this.deps.lockedDown?.()) {
      this.deps.audit.record({ event: "policy", who: requester, tool: task.tool, argsHash: task.args_hash, status: "locked_down", detail: task.id });
      throw new ToolError("locked_down", LOCKED_DOWN);
    }
    const parsed = tool.args.safeParse(JSON.parse(task.args_json));
    if (!parsed.success) throw new ToolError("bad_args", describeIssues(parsed.error));
    return this.run(tool, parsed.data, requester, task.args_hash, signal);
  }

  private async run(
    tool: Tool,
    args: unknown,
    requester: Requester,
    argsHash: string,
    signal = new AbortController().signal,
    confine?: string,
  ): Promise<unknown> {
    const started = performance.now();
    const done = (status: string) =>
      this.deps.audit.record({ event: "run", who: requester, tool: tool.name, argsHash, status, durationMs: performance.now() - started });
    try {
      const config = confine === undefined ? this.deps.toolConfig : { ...this.deps.toolConfig, confine };
      const result = await tool.run(args, { signal, requester, db: this.deps.db, config });
      done("ok");
      return result;
    } catch (error) {
      if (error instanceof ToolError) {
        done(error.code);
        throw error;
      }
      if (signal.aborted) {
        done("cancelled");
        throw signal.reason;
      }
      done("failed");
      // The original message may carry paths or data the requester must not see.
      throw new ToolError("failed", `${tool.name} failed`);
    }
  }
}

type ArgsText = { ok: true; json: string } | { ok: false; message: string };

function canonicalArgs(rawArgs: unknown, maxBytes: number): ArgsText {
  let json: string;
  try {
    json = canonicalJson(rawArgs === undefined ? {} : rawArgs);
  } catch {
    return { ok: false, message: "the arguments are not plain JSON" };
  }
  if (Buffer.byteLength(json) > maxBytes) return { ok: false, message: `the arguments are larger than ${maxBytes} bytes` };
  return { ok: true, json };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "arguments"}: ${issue.message}`)
    .join("; ");
}

function cleanOrigin(origin: string): string {
  return flattenControls(origin).slice(0, MAX_ORIGIN);
}

// A tool's schema never changes, and converting it is not free: listing runs on every chat turn.
const schemas = new WeakMap<Tool, unknown>();

function jsonSchema(tool: Tool): unknown {
  if (tool.jsonSchema !== undefined) return tool.jsonSchema;
  let schema = schemas.get(tool);
  if (schema === undefined) {
    try {
      schema = z.toJSONSchema(tool.args, { io: "input", unrepresentable: "any" });
    } catch {
      schema = {};
    }
    schemas.set(tool, schema);
  }
  return schema;
}
