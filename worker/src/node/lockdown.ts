/**
 * The relay's side of a Node's lockdown (protocol/src/relay-http.ts, PUT/DELETE /v1/node/lockdown):
 * the agent, with its Node credential, tells the object that its owner stopped everything. While it
 * lasts, the object keeps only the sessions of one device (the owner device that asked, if any),
 * refuses new sessions of every other device and every pairing offer and claim with `locked_down`.
 * The flag and its counters live in the object's storage (meta), so they survive eviction and a
 * relay restart; the agent also sends the flag again each time it starts locked.
 */
import { CloseCode, type LockdownState } from "@ora/protocol";
import type { AuditLog } from "./audit.js";
import type { MetaStore } from "./meta.js";

interface Flag {
  since: number;
  keep: string | null;
}

const COUNTERS = ["entered", "lifted", "closedSessions", "refusedSessions", "refusedPairings"] as const;
type Counter = (typeof COUNTERS)[number];

export type LockdownCall = { op: "set"; keepDevice?: string | undefined } | { op: "clear" };

/** Closes every client session except those of `keep`; returns how many it closed. */
export type CloseOthers = (keep: string | null, code: number, reason: string) => number;

export const LOCKED_DOWN_MESSAGE = "the owner put this PC in lockdown; sessions and pairing are refused until it is lifted at the PC";

export class NodeLockdown {
  private flag: Flag | null;

  constructor(
    private readonly meta: MetaStore,
    private readonly audit: AuditLog,
    private readonly closeOthers: CloseOthers,
  ) {
    const stored = meta.get("lockdown");
    this.flag = stored === null ? null : (JSON.parse(stored) as Flag);
  }

  call(call: LockdownCall): { ok: true; value: LockdownState } {
    return { ok: true, value: call.op === "set" ? this.enter(call.keepDevice ?? null) : this.lift() };
  }

  /** Idempotent: entering again keeps the first `since`, takes the new kept device, and closes what is still open. */
  enter(keep: string | null, now = Date.now()): LockdownState {
    const since = this.flag?.since ?? now;
    if (!this.flag) {
      this.count("entered");
      this.audit.record("lockdown_on", keep);
    }
    this.flag = { since, keep };
    this.meta.set("lockdown", JSON.stringify(this.flag));
    const closed = this.closeOthers(keep, CloseCode.LOCKED_DOWN, "locked_down");
    this.count("closedSessions", closed);
    return { locked: true, since, closedSessions: closed };
  }

  lift(): LockdownState {
    if (this.flag) {
      this.count("lifted");
      this.audit.record("lockdown_off", null);
    }
    this.flag = null;
    this.meta.delete("lockdown");
    return { locked: false, since: null, closedSessions: 0 };
  }

  get active(): boolean {
    return this.flag !== null;
  }

  /** Whether a new session of `device` is refused now (and counted when it is). */
  refusesSession(device: string): boolean {
    if (!this.flag || this.flag.keep === device) return false;
    this.count("refusedSessions");
    return true;
  }

  /** Whether a pairing offer or claim is refused now (and counted when it is). */
  refusesPairing(): boolean {
    if (!this.flag) return false;
    this.count("refusedPairings");
    return true;
  }

  /** For the Node's metrics: numbers only. */
  counters(): Record<string, number> {
    const saved = this.saved();
    return { active: this.flag ? 1 : 0, ...Object.fromEntries(COUNTERS.map((name) => [name, saved[name] ?? 0])) };
  }

  private saved(): Partial<Record<Counter, number>> {
    const text = this.meta.get("lockdown_counters");
    return text === null ? {} : (JSON.parse(text) as Partial<Record<Counter, number>>);
  }

  private count(name: Counter, n = 1): void {
    if (n === 0) return;
    const saved = this.saved();
    saved[name] = (saved[name] ?? 0) + n;
    this.meta.set("lockdown_counters", JSON.stringify(saved));
  }
}
