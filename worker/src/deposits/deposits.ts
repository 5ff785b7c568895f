/**
 * Reminder deposits: the agent seals a notification for each device on the PC (RFC 8291, as for a
 * push it sends itself) and leaves it here with a due time, because the PC may be asleep then. At the
 * due time the Node's one alarm sends it through the push gateway, unless the agent withdrew it first
 * (an awake agent withdraws it shortly before the due time and delivers itself; the answer tells it whether the
 * relay already sent it). The relay sees a due time, sizes and device ids, never the text.
 *
 * At most once: a due deposit leaves its table and gets its tombstone before anything is sent, so a
 * withdrawal that arrives while a push is in flight learns `sent`, a second alarm finds nothing, and
 * an object that dies mid-send loses that deposit rather than sending it twice. A message that a rate
 * limit holds back (the Node's own budget, or the push service's 429) comes back as a deposit of the
 * same id, due when the limit says, at most MAX_TRIES attempts in all; its tombstone keeps answering
 * `sent`, because the relay has taken the delivery on.
 *
 * Free of the transport: the clock, the alarm and the push gateway are parameters, so the rules are
 * tested with plain function calls (test/worker/deposits.test.ts).
 */
import {
  DEPOSIT_MAX_AHEAD_MS,
  fromBase64Url,
  type DepositBody,
  type DepositSet,
  type DepositWithdrawn,
  type ErrorCode,
  type PushMessageBody,
  type PushSent,
} from "@ora/protocol";
import type { PushResult } from "../push/gateway.js";
import type { DepositMessage, DepositStore, HeldDeposit } from "./store.js";

export interface DepositConfig {
  /** Deposits one Node may hold at once. */
  perNode: number;
  /** False: the relay has no VAPID key, so it takes no deposits (it could never send them). */
  pushOn: boolean;
}

export interface DepositDeps {
  now: () => number;
  /** PushGateway.send: the allowlist, the Node's rate limit and the push counters are its. */
  send: (device: string, message: PushMessageBody, subject: string) => Promise<PushResult<PushSent>>;
  /** Sets the object's one alarm to go off no later than `at`. */
  wakeBy: (at: number) => void;
}

/** One call of the deposit API, as the Worker hands it to the object. */
export type DepositCall =
  /** `subject`: the VAPID contact, chosen by the Worker when the deposit comes (as for a push). */
  { op: "set"; id: string; deposit: DepositBody; subject: string } | { op: "withdraw"; id: string };

export type DepositRefusal = { ok: false; status: 400 | 401 | 404 | 409 | 429; code: ErrorCode; message: string };
export type DepositResult<T> = { ok: true; value: T } | DepositRefusal;

export const DEPOSIT_UNAUTHORIZED: DepositRefusal = { ok: false, status: 401, code: "unauthorized", message: "credential not accepted" };
const DEPOSITS_OFF: DepositRefusal = { ok: false, status: 404, code: "not_found", message: "this relay sends no notifications: it has no VAPID key" };

/** A deposit may be due this far in the past when it comes: the PC's clock and the trip here. */
export const DUE_GRACE_MS = 60_000;
/** How long the relay remembers a deposit it sent (or gave up on). */
export const TOMBSTONE_MS = 7 * 86_400_000;
/** Attempts at a deposit whose messages a rate limit holds back. */
export const MAX_TRIES = 3;
/** Deposits sent per alarm; more due come at the next alarm, set at once. */
const BATCH = 25;
/** A push service may ask for more; a reminder an hour late is as late as it should get. */
const MAX_RETRY_WAIT_SEC = 3600;

type Attempt = { outcome: "sent" } | { outcome: "failed" } | { outcome: "held_back"; retryAfterSec: number };

export class Deposits {
  constructor(
    private readonly store: DepositStore,
    private readonly config: DepositConfig,
    private readonly deps: DepositDeps,
  ) {}

  call(call: DepositCall): DepositResult<unknown> {
    switch (call.op) {
      case "set":
        return this.set(call.id, call.deposit, call.subject);
      case "withdraw":
        return this.withdraw(call.id);
    }
  }

  counters(): Record<string, number> {
    return this.store.counters();
  }

  /** When the next deposit is due (the object arms its alarm for it, also after waking up). */
  nextDue(): number | undefined {
    return this.store.nextDue();
  }

  /** Takes a deposit, or replaces the one with the same id (the agent deposits again after a change). */
  set(id: string, deposit: DepositBody, subject: string): DepositResult<DepositSet> {
    if (!this.config.pushOn) return DEPOSITS_OFF;
    const now = this.deps.now();
    const refusal = this.check(id, deposit, now);
    if (refusal) {
      this.store.count("refused");
      return refusal;
    }
    this.store.put({ id, dueAt: deposit.dueAt, subject, messages: deposit.messages, tries: 0 }, payloadBytes(deposit.messages), now);
    this.deps.wakeBy(deposit.dueAt);
    return { ok: true, value: { dueAt: deposit.dueAt } };
  }

  /**
   * `withdrawn`: it will not be sent; `sent` (with when): the relay has taken it out to send;
   * `unknown`: never deposited, or forgotten. A deposit none of whose messages went out is
   * `withdrawn` too: nothing reached a device, so the agent delivers.
   */
  withdraw(id: string): DepositResult<DepositWithdrawn> {
    this.store.forgetTombstones(this.deps.now() - TOMBSTONE_MS);
    const tombstone = this.store.tombstone(id);
    if (tombstone) return { ok: true, value: tombstone.outcome === "failed" ? { state: "withdrawn" } : { state: "sent", sentAt: tombstone.sentAt } };
    if (!this.store.remove(id)) return { ok: true, value: { state: "unknown" } };
    this.store.count("withdrawn");
    return { ok: true, value: { state: "withdrawn" } };
  }

  /** Called by the alarm: sends what is due, then arms the alarm for the next deposit. */
  async onAlarm(): Promise<void> {
    const now = this.deps.now();
    this.store.forgetTombstones(now - TOMBSTONE_MS);
    const due = this.store.due(now, BATCH);
    for (const deposit of due) {
      this.store.remove(deposit.id);
      this.store.bury(deposit.id, now, "sending");
    }
    // All at once: the gateway takes rate-limit slots in call order, so the earliest due go first.
    await Promise.all(due.map((deposit) => this.deliver(deposit)));
    const next = this.store.nextDue();
    if (next !== undefined) this.deps.wakeBy(next);
  }

  private check(id: string, deposit: DepositBody, now: number): DepositRefusal | null {
    this.store.forgetTombstones(now - TOMBSTONE_MS);
    if (this.store.tombstone(id)) {
      return { ok: false, status: 409, code: "id_in_use", message: "the relay has already taken this deposit out to send; deposit again under a new id" };
    }
    if (deposit.dueAt < now - DUE_GRACE_MS) return { ok: false, status: 400, code: "bad_request", message: "dueAt is in the past" };
    if (deposit.dueAt > now + DEPOSIT_MAX_AHEAD_MS) {
      return { ok: false, status: 400, code: "bad_request", message: `dueAt is more than ${DEPOSIT_MAX_AHEAD_MS / 86_400_000} days ahead` };
    }
    const devices = new Set(deposit.messages.map((m) => m.device));
    if (devices.size < deposit.messages.length) return { ok: false, status: 400, code: "bad_request", message: "one message per device" };
    if (deposit.messages.some((m) => fromBase64Url(m.payload) === null)) {
      return { ok: false, status: 400, code: "bad_request", message: "a payload is not canonical base64url" };
    }
    if (this.store.held(id) >= this.config.perNode) {
      return {
        ok: false,
        status: 429,
        code: "pending_limit",
        message: `the relay holds ${this.config.perNode} deposits for this Node, its most; withdraw one, or wait until one is sent`,
      };
    }
    return null;
  }

  /** Sends a deposit taken out of its table; what a rate limit held back comes again later. */
  private async deliver(deposit: HeldDeposit): Promise<void> {
    const attempts = await Promise.all(deposit.messages.map((message) => this.attempt(message, deposit.subject)));
    const sent = attempts.some((a) => a.outcome === "sent") || this.store.tombstone(deposit.id)?.outcome === "sent";
    const heldBack = deposit.messages.filter((_, i) => attempts[i]!.outcome === "held_back");
    const now = this.deps.now();
    if (heldBack.length > 0 && deposit.tries + 1 < MAX_TRIES) {
      // The longest wait asked for: by then every held-back message may go.
      const waitSec = Math.min(MAX_RETRY_WAIT_SEC, Math.max(1, ...attempts.map((a) => (a.outcome === "held_back" ? a.retryAfterSec : 0))));
      this.store.put({ ...deposit, dueAt: now + waitSec * 1000, messages: heldBack, tries: deposit.tries + 1 }, payloadBytes(heldBack), now);
      this.store.bury(deposit.id, now, sent ? "sent" : "sending");
      this.store.count("retried");
      return;
    }
    this.store.bury(deposit.id, now, sent ? "sent" : "failed");
    this.store.count(sent ? "sent" : "failed");
  }

  private async attempt({ device, ...message }: DepositMessage, subject: string): Promise<Attempt> {
    try {
      const result = await this.deps.send(device, message, subject);
      if (result.ok) return { outcome: result.value.outcome === "sent" ? "sent" : "failed" };
      if (result.status === 429) return { outcome: "held_back", retryAfterSec: result.retryAfterSec ?? 60 };
      return { outcome: "failed" };
    } catch {
      // Nothing is logged (an error might quote the message); the push counters say what went wrong.
      return { outcome: "failed" };
    }
  }
}

/** What the relay holds of a deposit: the ciphertext's bytes (payloads were checked when it came). */
function payloadBytes(messages: DepositMessage[]): number {
  return messages.reduce((sum, m) => sum + (fromBase64Url(m.payload)?.byteLength ?? 0), 0);
}
