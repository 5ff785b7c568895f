/**
 * Lockdown: the owner's one tap when something went wrong. Entering it, in this order and
 * idempotently: the state is written to the profile's database (an agent that starts locked stays
 * locked); every waiting task is cancelled and its approval withdrawn (audited, by whoever entered
 * it); then listeners hear of it (the scheduler pauses, the relay closes every other session and
 * refuses pairing: lockdown/). While it lasts the enforcement point (registry.ts) refuses every call
 * that would need an approval with `locked_down`, and `active()` is what standing rules read as
 * suspended. Only the PC's owner ends it, or a device with a passkey's proof (lockdown/methods.ts).
 * Cancelled approvals stay cancelled.
 */
import type { LockdownStatus } from "@ora/protocol";
import type Database from "better-sqlite3";
import { EventEmitter } from "node:events";
import type { Approvals } from "./approvals.js";
import type { Audit } from "./audit.js";
import { KEY, readLockdown, type Stored } from "./lockdown-state.js";
import { describeRequester } from "./requester.js";
import { TaskError, type Tasks } from "./tasks.js";
import type { Requester } from "./tool.js";

export type { LockdownStatus } from "@ora/protocol";

export interface Entered {
  status: LockdownStatus;
  already: boolean;
  cancelledTasks: number;
  keepDevice: string | null;
}

export class Lockdown {
  private readonly events = new EventEmitter();

  constructor(
    private readonly db: Database.Database,
    private readonly audit: Audit,
    private readonly approvals: Approvals,
    private readonly tasks: Tasks,
    private readonly now: () => number = Date.now,
  ) {
    this.events.setMaxListeners(0);
  }

  /** True while locked: the enforcement point refuses HIGH/CRITICAL, schedules pause, standing rules are suspended. */
  readonly active = (): boolean => this.stored() !== null;

  status(): LockdownStatus {
    const stored = this.stored();
    return stored ? { locked: true, since: stored.since, by: stored.by } : { locked: false, since: null, by: null };
  }

  /** The device whose sessions the relay keeps open, while locked. */
  keptDevice(): string | null {
    return this.stored()?.keepDevice ?? null;
  }

  /** Told after every change (entered, entered again, lifted). */
  onChange(listener: (status: LockdownStatus) => void): () => void {
    this.events.on("change", listener);
    return () => this.events.off("change", listener);
  }

  /**
   * Locks down (or, when already locked, does what is still to do: cancels anything that waits and
   * tells listeners again, so that the relay hears of it once more). `by` is the owner who asked,
   * `name` how people see it named ("Pixel 9", "the local CLI").
   */
  enter(by: Requester, name = describeRequester(by)): Entered {
    const before = this.stored();
    if (!before) {
      const stored: Stored = { since: this.now(), by: name, keepDevice: by.via === "relay" ? by.device : null };
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(KEY, JSON.stringify(stored));
      this.audit.record({ event: "lockdown.enter", who: by, status: "locked" });
    }
    const cancelledTasks = this.cancelWaiting(by);
    const status = this.status();
    this.events.emit("change", status);
    return { status, already: before !== null, cancelledTasks, keepDevice: this.keptDevice() };
  }

  /** Lifts the lockdown (the caller has checked that `by` may). Idempotent. */
  exit(by: Requester): LockdownStatus {
    if (this.stored()) {
      this.db.prepare("DELETE FROM meta WHERE key = ?").run(KEY);
      this.audit.record({ event: "lockdown.exit", who: by, status: "unlocked" });
      this.events.emit("change", this.status());
    }
    return this.status();
  }

  close(): void {
    this.events.removeAllListeners();
  }

  private cancelWaiting(by: Requester): number {
    let cancelled = 0;
    const waiting = this.db.prepare<[], { id: string }>("SELECT id FROM tasks WHERE state = 'waiting_approval'").all();
    for (const { id } of waiting) {
      try {
        this.tasks.cancel(id, by, "cancelled by the lockdown");
        cancelled++;
      } catch (error) {
        // Decided meanwhile: it started (and the enforcement point refuses it at run time) or ended.
        if (!(error instanceof TaskError)) throw error;
      }
    }
    // Every approval belongs to a task; one left open without its task is withdrawn all the same.
    for (const { id } of this.db.prepare<[], { id: string }>("SELECT id FROM approvals WHERE status IN ('pending', 'approved')").all()) {
      this.approvals.withdraw(id, by);
    }
    return cancelled;
  }

  private stored(): Stored | null {
    const row = this.db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?").get(KEY);
    return row ? (JSON.parse(row.value) as Stored) : null;
  }
}

export { readLockdown };
