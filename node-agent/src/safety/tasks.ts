/**
 * Durable tasks: a call that needs an owner's approval does not hold its request open. It becomes a
 * row here, bound to exactly one approval, and the request answers at once with the task.
 *
 * Life of a task: `waiting_approval` → (approved) `running` → `done` | `failed`; or (denied) `denied`,
 * (the approval's TTL ran out) `expired`, (its requester or an owner gave up) `cancelled`. Every
 * transition is one guarded UPDATE (`WHERE state = …`), so a task runs at most once whatever races;
 * a task found `running` after a restart did not finish and is marked failed rather than run again.
 * Every change is audited with the approval it belongs to, and told to onChange listeners (the
 * agent pushes it to the requester and to owner devices).
 */
import { type AppErrorCode, type Approval, FINAL_TASK_STATES, type Requester, type Task, type TaskState } from "@ora/protocol";
import type Database from "better-sqlite3";
import { EventEmitter } from "node:events";
import type { ApprovalEvent, Approvals } from "./approvals.js";
import { newId } from "./ids.js";
import type { Audit } from "./audit.js";
import { requesterFromColumns, requesterKey, type RequesterColumns } from "./requester.js";

/** Results larger than this are not kept (the tool ran; its output is too large to store). */
const MAX_RESULT_JSON = 512 * 1024;

export interface TaskRow extends RequesterColumns {
  id: string;
  approval: string;
  tool: string;
  args_json: string;
  args_hash: string;
  risk: Task["risk"];
  origin: string;
  conversation: string | null;
  tool_call: string | null;
  state: TaskState;
  created_at: number;
  updated_at: number;
  expires_at: number;
  finished_at: number | null;
  result_json: string | null;
  error_code: AppErrorCode | null;
  error_message: string | null;
}

/** What runs an approved task: the enforcement point checks it again and runs the tool. */
export type TaskRunner = (task: TaskRow, requester: Requester, signal: AbortSignal) => Promise<unknown>;

/** A failure with a code the requester may see (ToolError and HandlerError have this shape). */
interface CodedError {
  code: AppErrorCode;
  message: string;
}

export class TaskError extends Error {
  constructor(
    readonly code: Extract<AppErrorCode, "not_found" | "forbidden" | "not_pending">,
    message: string,
  ) {
    super(message);
    this.name = "TaskError";
  }
}

export class Tasks {
  private readonly events = new EventEmitter();
  private readonly running = new Map<string, AbortController>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly audit: Audit,
    private readonly approvals: Approvals,
    private readonly runner: TaskRunner,
    private readonly explain: (error: unknown) => CodedError,
    private readonly now: () => number = Date.now,
  ) {
    this.events.setMaxListeners(0);
    this.unsubscribe = approvals.onChange((event) => this.onApproval(event));
  }

  /** Told of every task that changes state. */
  onChange(listener: (task: Task) => void): () => void {
    this.events.on("change", listener);
    return () => this.events.off("change", listener);
  }

  /** A waiting task for a call that needs `approval` (which must be new: one approval, one task). */
  create(approval: Approval, argsJson: string, context: { conversation?: string | undefined; toolCall?: string | undefined } = {}): Task {
    const id = `t${newId()}`;
    const now = this.now();
    const { requester } = approval;
    this.db
      .prepare(
        `INSERT INTO tasks (id, approval, tool, args_json, args_hash, risk, req_device, req_role, req_user, req_via, req_session, origin,
           conversation, tool_call, state, created_at, updated_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'waiting_approval', ?, ?, ?)`,
      )
      .run(
        id,
        approval.id,
        approval.tool,
        argsJson,
        approval.argsHash,
        approval.risk,
        requester.device,
        requester.role,
        requester.user,
        requester.via,
        requester.session ?? null,
        approval.origin,
        context.conversation ?? null,
        context.toolCall ?? null,
        now,
        now,
        approval.expiresAt,
      );
    this.record("task.created", this.row(id)!, "waiting_approval");
    return this.changed(id);
  }

  get(id: string): Task | undefined {
    const row = this.row(id);
    return row && toTask(row);
  }

  /** The task `viewer` may see: its own (by device), any for an owner. */
  visible(id: string, viewer: Requester): Task {
    const row = this.row(id);
    if (!row || !mayView(row, viewer)) throw new TaskError("not_found", `no task ${id}`);
    return toTask(row);
  }

  list(viewer: Requester, options: { open?: boolean; limit?: number } = {}): Task[] {
    const states = options.open ? ["waiting_approval", "running"] : ["waiting_approval", "running", ...FINAL_TASK_STATES];
    const rows = this.db
      .prepare<unknown[], TaskRow>(
        `SELECT * FROM tasks WHERE state IN (${states.map(() => "?").join(", ")})
           AND (? = 'owner' OR (req_device = ? AND req_role = ? AND req_user = ? AND req_via = ?))
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      // mayView's rule in SQL: an owner sees every task, anyone else the tasks of its own requester key.
      .all(...states, viewer.role, viewer.device, viewer.role, viewer.user, viewer.via, options.limit ?? 50);
    return rows.map(toTask);
  }

  /** Open tasks that came from one conversation (the secretary tells the model about them). */
  openIn(conversation: string): Task[] {
    return this.db
      .prepare<[string], TaskRow>("SELECT * FROM tasks WHERE conversation = ? AND state IN ('waiting_approval', 'running') ORDER BY created_at")
      .all(conversation)
      .map(toTask);
  }

  row(id: string): TaskRow | undefined {
    return this.db.prepare<[string], TaskRow>("SELECT * FROM tasks WHERE id = ?").get(id);
  }

  /** Cancels a task that has not started; its approval is withdrawn. Its requester or an owner may. */
  cancel(id: string, by: Requester, why?: string): Task {
    const row = this.row(id);
    if (!row || !mayView(row, by)) throw new TaskError("not_found", `no task ${id}`);
    if (
      !this.finish(row, "cancelled", {
        code: "cancelled",
        message: why ?? `cancelled by ${by.via === "local" ? "the PC's owner" : by.role === "owner" ? "an owner" : "its requester"}`,
      })
    ) {
      throw new TaskError("not_pending", `task ${id} is already ${this.row(id)!.state}`);
    }
    this.approvals.withdraw(row.approval, by);
    return this.get(id)!;
  }

  /** Resolves once the task reaches a final state. */
  settled(id: string): Promise<Task> {
    return new Promise((resolve) => {
      const check = (task: Task | undefined) => {
        if (!task || !isFinal(task.state)) return false;
        this.events.off("change", onChange);
        resolve(task);
        return true;
      };
      const onChange = (task: Task) => task.id === id && check(task);
      this.events.on("change", onChange);
      check(this.get(id));
    });
  }

  /**
   * After a start: what was running when the agent stopped did not finish (it never runs twice);
   * what was approved, denied or expired meanwhile moves on.
   */
  recover(): void {
    const interrupted = this.db.prepare<[], TaskRow>("SELECT * FROM tasks WHERE state = 'running'").all();
    for (const row of interrupted) {
      if (this.running.has(row.id)) continue; // running in this process, not left over from the last one
      this.markFailed(row.id, { code: "failed", message: "the agent stopped while this ran, so it may not have finished; it was not run again" });
    }
    this.approvals.sweep();
    const waiting = this.db.prepare<[], TaskRow & { approval_status: string }>(
      "SELECT tasks.*, approvals.status AS approval_status FROM tasks JOIN approvals ON approvals.id = tasks.approval WHERE tasks.state = 'waiting_approval'",
    );
    for (const row of waiting.all()) this.settleWith(row, row.approval_status);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const controller of this.running.values()) controller.abort(new Error("the agent is stopping"));
    this.events.removeAllListeners();
  }

  private onApproval(event: ApprovalEvent): void {
    if (event.type !== "decided" && event.type !== "expired") return;
    // After the decision is fully recorded and every listener has heard of it: the task's own steps
    // (the approval used, the run) come after it, in the audit trail and in the events.
    queueMicrotask(() => {
      if (this.closed) return;
      const row = this.db.prepare<[string], TaskRow>("SELECT * FROM tasks WHERE approval = ? AND state = 'waiting_approval'").get(event.approval.id);
      if (row) this.settleWith(row, event.approval.status);
    });
  }

  private settleWith(row: TaskRow, approvalStatus: string): void {
    if (approvalStatus === "approved") void this.start(row);
    else if (approvalStatus === "denied") this.finish(row, "denied", { code: "denied", message: `the owner denied ${row.tool}` });
    else if (approvalStatus === "expired") this.finish(row, "expired", { code: "denied", message: `nobody approved ${row.tool} in time` });
  }

  private async start(row: TaskRow): Promise<void> {
    const now = this.now();
    const { changes } = this.db.prepare("UPDATE tasks SET state = 'running', updated_at = ? WHERE id = ? AND state = 'waiting_approval'").run(now, row.id);
    if (changes !== 1) return;
    const requester = requesterOf(row);
    if (!this.approvals.consume(row.approval, { tool: row.tool, argsHash: row.args_hash, requester })) {
      this.markFailed(row.id, { code: "denied", message: `the approval of ${row.tool} could no longer be used` });
      return;
    }
    this.record("task.started", row, "running");
    this.changed(row.id);
    const controller = new AbortController();
    this.running.set(row.id, controller);
    try {
      const result = await this.runner(row, requester, controller.signal);
      const json = JSON.stringify(result ?? null);
      const kept = json.length <= MAX_RESULT_JSON ? json : JSON.stringify({ note: `the result was too large to keep (${json.length} characters)` });
      this.end(row.id, "running", "done", { result_json: kept });
    } catch (error) {
      this.markFailed(row.id, this.explain(error));
    } finally {
      this.running.delete(row.id);
    }
  }

  private markFailed(id: string, error: CodedError): void {
    this.end(id, "running", "failed", { error_code: error.code, error_message: error.message.slice(0, 500) });
  }

  /** Ends a task that has not started; false when it already had. */
  private finish(row: TaskRow, state: "denied" | "expired" | "cancelled", error: CodedError): boolean {
    return this.end(row.id, "waiting_approval", state, { error_code: error.code, error_message: error.message });
  }

  private end(id: string, from: TaskState, to: TaskState, fields: Partial<Pick<TaskRow, "result_json" | "error_code" | "error_message">>): boolean {
    // A run cut short by close() stays `running` in the database; the next start marks it failed.
    if (this.closed) return false;
    const now = this.now();
    const { changes } = this.db
      .prepare(
        `UPDATE tasks SET state = ?, updated_at = ?, finished_at = ?, result_json = ?, error_code = ?, error_message = ?
         WHERE id = ? AND state = ?`,
      )
      .run(to, now, now, fields.result_json ?? null, fields.error_code ?? null, fields.error_message ?? null, id, from);
    if (changes !== 1) return false;
    this.record(`task.${to}`, this.row(id)!, to);
    this.changed(id);
    return true;
  }

  private record(event: string, row: TaskRow, status: string): void {
    this.audit.record({ event, who: requesterOf(row), tool: row.tool, argsHash: row.args_hash, status, detail: `${row.id} approval ${row.approval}` });
  }

  private changed(id: string): Task {
    const task = this.get(id)!;
    this.events.emit("change", task);
    return task;
  }
}

export function isFinal(state: TaskState): boolean {
  return (FINAL_TASK_STATES as readonly TaskState[]).includes(state);
}

function mayView(row: TaskRow, viewer: Requester): boolean {
  return viewer.role === "owner" || requesterKey(viewer) === requesterKey(requesterOf(row));
}

const requesterOf = requesterFromColumns;

function toTask(row: TaskRow): Task {
  const task: Task = {
    id: row.id,
    state: row.state,
    tool: row.tool,
    argsHash: row.args_hash,
    risk: row.risk,
    requester: requesterOf(row),
    conversation: row.conversation,
    approval: row.approval,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    finishedAt: row.finished_at,
  };
  if (row.result_json !== null) task.result = JSON.parse(row.result_json);
  if (row.error_code !== null) task.error = { code: row.error_code, message: row.error_message ?? "" };
  return task;
}
