/**
 * Approvals for HIGH and CRITICAL calls, kept in SQLite so they survive a restart.
 *
 * Life of an approval: `pending` (created by a call, which becomes a durable task, tasks.ts) →
 * `approved` or `denied` by a decider (or withdrawn when its task is cancelled) → `used` by exactly
 * its own task, or `expired` when its TTL (counted from creation; shorter for CRITICAL) runs out
 * first. It is bound to tool + sha256 of the canonical arguments + the requester, and to exactly one
 * task: a later identical call gets its own approval.
 *
 * Who decides (`decide`): never a guest; CRITICAL only the owner, never through a chat app (Discord):
 * at the PC with the one-time code, on a paired device with a passkey assertion (a stolen unlocked
 * phone lacks the owner's fingerprint; the code is never shown on a device); HIGH the owner, or a
 * sub-admin for a request that is not its own (with a passkey too when ORA_PASSKEY_FOR_HIGH=1). The
 * decider is a Requester that the caller of `decide` got from an authenticated device session, the
 * local control socket or the Discord channel's check of the owner's user id; tools get no
 * handle on this class, so no tool output or chat text can reach it.
 */
import type { Approval, ApprovalRisk, ApprovalStatus, ApprovalView, AppErrorCode, EventData } from "@ora/protocol";
import type Database from "better-sqlite3";
import { EventEmitter } from "node:events";
import { CodeLockouts, codeHash, codeMatches, newCode } from "./approval-codes.js";
import type { Audit } from "./audit.js";
import type { PolicyConfig } from "./policy-config.js";
import { binding, type Row, toApproval } from "./approval-rows.js";
import { newId } from "./ids.js";
import { requesterFromColumns, requesterKey } from "./requester.js";
import { ToolError, type Requester } from "./tool.js";

export type { Approval, ApprovalRisk, ApprovalStatus, ApprovalView } from "@ora/protocol";

/** Never carries the code: events go to every connected owner device. */
export type ApprovalEvent = EventData<"approval">;

export interface Decision {
  verdict: "approve" | "deny";
  code?: string;
  /** A verified passkey assertion for this approval (passkeys/), from the deciding device. */
  passkey?: PasskeyProof;
}

/** What a verified passkey assertion confirmed: made only after the signature, challenge and user verification held. */
export interface PasskeyProof {
  credentialId: string;
  device: string;
  purpose: "approve";
  approval: string;
  argsHash: string;
}

export type ApprovalErrorCode = Extract<
  AppErrorCode,
  "not_found" | "forbidden" | "not_pending" | "code_required" | "wrong_code" | "locked_out" | "passkey_required" | "passkey_refused"
>;

export class ApprovalError extends Error {
  constructor(
    readonly code: ApprovalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApprovalError";
  }
}

export interface OpenRequest {
  tool: string;
  /** Canonical JSON of the arguments (the approval shows them and binds to their hash). */
  argsJson: string;
  argsHash: string;
  risk: ApprovalRisk;
  requester: Requester;
  origin: string;
}

/**
 * The longest the expiry timer waits before looking again. Timers run on the monotonic clock, which
 * stands still while the PC sleeps: an approval that fell due during the sleep expires at most this
 * long after the PC wakes (and at once when anyone asks, since every decision sweeps first).
 */
const MAX_TIMER_MS = 60_000;

export class Approvals {
  private readonly events = new EventEmitter();
  private readonly codes = new Map<string, string>();
  private readonly lockouts: CodeLockouts;
  /** Set for the next expiry only while something can expire: an agent with nothing waiting has no timer. */
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly config: PolicyConfig,
    private readonly audit: Audit,
    private readonly now: () => number = Date.now,
  ) {
    this.lockouts = new CodeLockouts(db, config.codeAttempts, config.codeLockoutMs, now);
    this.events.setMaxListeners(0);
    this.arm();
  }

  /** Subscribes to approval events (for pushing them to owner devices); returns the unsubscribe. */
  onChange(listener: (event: ApprovalEvent) => void): () => void {
    this.events.on("change", listener);
    return () => this.events.off("change", listener);
  }

  /**
   * A new pending approval for one call: an approval belongs to exactly one call (its task), so an
   * unused one is never handed to a later identical call. Throws rate_limited when the requester
   * already has too many pending.
   */
  open(request: OpenRequest): Approval {
    this.sweep();
    const pending = this.db
      .prepare<string[], { n: number }>(
        "SELECT count(*) AS n FROM approvals WHERE status = 'pending' AND req_device = ? AND req_role = ? AND req_user = ? AND req_via = ?",
      )
      .get(...binding(request.requester))!.n;
    if (pending >= this.config.maxPendingPerRequester) {
      throw new ToolError("rate_limited", `too many approvals waiting (${pending}); wait for a decision or for them to expire`);
    }
    const id = newId();
    const created = this.now();
    const code = request.risk === "CRITICAL" ? newCode() : null;
    const { requester } = request;
    this.db
      .prepare(
        `INSERT INTO approvals (id, tool, args_json, args_hash, risk, req_device, req_role, req_user, req_via, req_session, origin, created_at, expires_at, status, code_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      )
      .run(
        id,
        request.tool,
        request.argsJson,
        request.argsHash,
        request.risk,
        requester.device,
        requester.role,
        requester.user,
        requester.via,
        requester.session ?? null,
        request.origin,
        created,
        created + (request.risk === "CRITICAL" ? this.config.criticalApprovalTtlMs : this.config.approvalTtlMs),
        code === null ? null : codeHash(id, code),
      );
    if (code !== null) this.codes.set(id, code);
    const approval = this.get(id)!;
    this.audit.record({ event: "approval.created", who: requester, tool: request.tool, argsHash: request.argsHash, status: "pending", detail: id });
    this.emit("created", approval);
    return approval;
  }

  get(id: string): Approval | undefined {
    const row = this.row(id);
    return row && toApproval(row);
  }

  /** Marks an approved approval used by the call it is bound to; false when it cannot be (any more). */
  consume(id: string, request: Pick<OpenRequest, "tool" | "argsHash" | "requester">): boolean {
    const { changes } = this.db
      .prepare(
        `UPDATE approvals SET status = 'used', used_at = ? WHERE id = ? AND status = 'approved' AND expires_at > ?
         AND tool = ? AND args_hash = ? AND req_device = ? AND req_role = ? AND req_user = ? AND req_via = ?`,
      )
      .run(this.now(), id, this.now(), request.tool, request.argsHash, ...binding(request.requester));
    if (changes !== 1) return false;
    this.audit.record({ event: "approval.used", who: request.requester, tool: request.tool, argsHash: request.argsHash, status: "used", detail: id });
    this.emit("invalidated", this.get(id)!);
    return true;
  }

  decide(id: string, decision: Decision, decider: Requester): ApprovalStatus {
    this.sweep();
    const row = this.row(id);
    if (!row) throw new ApprovalError("not_found", `no approval ${id}`);
    const audit = (status: string, detail = id) =>
      this.audit.record({ event: `approval.${decision.verdict}`, who: decider, tool: row.tool, argsHash: row.args_hash, status, detail });
    const refusal = whyNot(row, decider);
    if (refusal) {
      audit("forbidden");
      throw new ApprovalError("forbidden", refusal);
    }
    if (decision.verdict === "approve" && row.risk === "CRITICAL" && decider.via === "discord") {
      // A chat app's account is not a paired device: it never holds the code and never gives CRITICAL.
      audit("forbidden");
      throw new ApprovalError("forbidden", "CRITICAL is never approved from a chat app: approve it on a paired owner device or on the PC");
    }
    if (row.status !== "pending") throw new ApprovalError("not_pending", `approval ${id} is already ${row.status}`);
    let how = "";
    if (decision.verdict === "approve" && this.needsPasskey(row, decider)) {
      try {
        checkPasskey(row, decision, decider);
      } catch (error) {
        audit((error as ApprovalError).code);
        throw error;
      }
      how = ` with passkey ${decision.passkey!.credentialId}`;
    } else if (decision.verdict === "approve" && row.risk === "CRITICAL") this.checkCode(row, decision.code, decider);
    const status = decision.verdict === "approve" ? "approved" : "denied";
    this.setDecided(row.id, status, decider);
    audit(status, `${id}${how}`);
    return status;
  }

  /** Withdraws an undecided or unused approval (its task was cancelled): nobody can approve it any more. */
  withdraw(id: string, by: Requester): void {
    const row = this.row(id);
    if (!row || (row.status !== "pending" && row.status !== "approved")) return;
    const { changes } = this.db
      .prepare("UPDATE approvals SET status = 'denied', decided_by = ?, decided_at = ? WHERE id = ? AND status = ?")
      .run(`withdrawn:${requesterKey(by)}`, this.now(), id, row.status);
    if (changes !== 1) return;
    this.codes.delete(id);
    this.audit.record({ event: "approval.withdrawn", who: by, tool: row.tool, argsHash: row.args_hash, status: "denied", detail: id });
    this.emit("decided", this.get(id)!);
  }

  /** Approvals `viewer` may decide, newest first; codes only for the PC's own command line. */
  list(viewer: Requester): ApprovalView[] {
    this.sweep();
    const rows = this.db.prepare<[], Row>("SELECT * FROM approvals WHERE status = 'pending' ORDER BY created_at DESC, rowid DESC").all();
    return rows
      .filter((row) => whyNot(row, viewer) === null)
      .map((row) => {
        const view: ApprovalView = toApproval(row);
        if (row.risk === "CRITICAL" && viewer.via === "local") view.code = this.codeFor(row);
        if (this.needsPasskey(row, viewer)) view.needsPasskey = true;
        return view;
      });
  }

  /** Expires approvals whose TTL ran out (pending or approved-but-unused). */
  sweep(): void {
    const now = this.now();
    const due = this.db.prepare<[number], Row>("SELECT * FROM approvals WHERE status IN ('pending', 'approved') AND expires_at <= ?").all(now);
    for (const row of due) {
      const { changes } = this.db.prepare("UPDATE approvals SET status = 'expired' WHERE id = ? AND status = ?").run(row.id, row.status);
      if (changes !== 1) continue;
      this.codes.delete(row.id);
      this.audit.record({ event: "approval.expired", tool: row.tool, argsHash: row.args_hash, status: "expired", detail: row.id });
      this.emit("expired", this.get(row.id)!);
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.events.removeAllListeners();
  }

  /** Sets the timer for the earliest expiry among pending and approved approvals, or none. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const next = this.db.prepare<[], { at: number | null }>("SELECT MIN(expires_at) AS at FROM approvals WHERE status IN ('pending', 'approved')").get()?.at;
    if (next === null || next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.sweep();
        this.arm();
      },
      Math.min(Math.max(next - this.now(), 0), MAX_TIMER_MS),
    );
    this.timer.unref();
  }

  /** Approving from anywhere but the PC itself needs a passkey: CRITICAL always, HIGH when ORA_PASSKEY_FOR_HIGH=1. */
  private needsPasskey(row: Row, decider: Requester): boolean {
    if (decider.via === "local") return false;
    return row.risk === "CRITICAL" || this.config.passkeyForHigh;
  }

  private checkCode(row: Row, code: string | undefined, decider: Requester): void {
    const who = requesterKey(decider);
    const locked = this.lockouts.remaining(who);
    if (locked > 0) throw new ApprovalError("locked_out", `too many wrong codes: CRITICAL approvals are locked for you for ${Math.ceil(locked / 1000)} s`);
    if (code === undefined) throw new ApprovalError("code_required", `approval ${row.id} is CRITICAL: give its 6-digit code`);
    if (row.code_hash !== null && codeMatches(row.id, code, row.code_hash)) {
      this.lockouts.succeed(who);
      return;
    }
    const attempts = row.code_attempts + 1;
    this.db.prepare("UPDATE approvals SET code_attempts = ? WHERE id = ?").run(attempts, row.id);
    const lockedNow = this.lockouts.fail(who);
    this.audit.record({ event: "approval.approve", who: decider, tool: row.tool, argsHash: row.args_hash, status: "wrong_code", detail: row.id });
    if (attempts >= this.config.codeAttempts) {
      this.setDecided(row.id, "denied", decider);
      this.audit.record({
        event: "approval.deny",
        who: decider,
        tool: row.tool,
        argsHash: row.args_hash,
        status: "denied",
        detail: `${row.id}: too many wrong codes`,
      });
    }
    if (lockedNow || attempts >= this.config.codeAttempts) {
      throw new ApprovalError(
        "locked_out",
        `wrong code ${attempts >= this.config.codeAttempts ? `${attempts} times: approval ${row.id} is denied and ` : "too often: "}CRITICAL approvals are locked for you for ${Math.ceil(this.config.codeLockoutMs / 1000)} s`,
      );
    }
    throw new ApprovalError("wrong_code", `wrong code for approval ${row.id} (${this.config.codeAttempts - attempts} attempt(s) left)`);
  }

  private setDecided(id: string, status: "approved" | "denied", decider: Requester): void {
    this.db
      .prepare("UPDATE approvals SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'")
      .run(status, requesterKey(decider), this.now(), id);
    this.codes.delete(id);
    this.emit("decided", this.get(id)!);
  }

  /** The code to show the owner; reissued (new hash) when this process never knew it, i.e. after a restart. */
  private codeFor(row: Row): string {
    const known = this.codes.get(row.id);
    if (known !== undefined) return known;
    const code = newCode();
    this.db.prepare("UPDATE approvals SET code_hash = ? WHERE id = ?").run(codeHash(row.id, code), row.id);
    this.codes.set(row.id, code);
    return code;
  }

  private row(id: string): Row | undefined {
    return this.db.prepare<[string], Row>("SELECT * FROM approvals WHERE id = ?").get(id);
  }

  private emit(type: ApprovalEvent["type"], approval: Approval): void {
    this.arm();
    this.events.emit("change", { type, approval } satisfies ApprovalEvent);
  }
}

/** Why `decider` may not decide this approval, or null when it may. */
function whyNot(row: Row, decider: Requester): string | null {
  if (decider.role === "guest") return "guests cannot decide approvals";
  if (row.risk === "CRITICAL" && decider.role !== "owner") return "only the owner can decide CRITICAL approvals";
  if (decider.role === "sub-admin" && requesterKey(decider) === requesterKey(requesterFromColumns(row))) return "a sub-admin cannot decide its own request";
  return null;
}

/** A device approves with its own passkey assertion for exactly this approval; a code is for the PC only. */
function checkPasskey(row: Row, decision: Decision, decider: Requester): void {
  const proof = decision.passkey;
  if (proof === undefined) {
    throw new ApprovalError(
      "passkey_required",
      decision.code === undefined
        ? `approving ${row.id} (${row.risk}) from a device needs this device's passkey; without one, approve it at the PC: ora-agent approve ${row.id} --code <code from ora-agent approvals>`
        : `a one-time code is accepted only at the PC (ora-agent approve ${row.id} --code …); from a device, approve ${row.id} with a passkey`,
    );
  }
  if (proof.device !== decider.device || proof.purpose !== "approve" || proof.approval !== row.id || proof.argsHash !== row.args_hash) {
    throw new ApprovalError("passkey_refused", `the passkey assertion was not made for approval ${row.id} on this device`);
  }
}
