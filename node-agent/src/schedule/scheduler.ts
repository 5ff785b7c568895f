/**
 * The clock of the secretary: it wakes when something is due, claims each due occurrence (store.ts:
 * at most once), applies the schedule's catch-up policy when the occurrence was missed, and hands the
 * run to whoever carries it out (a reminder is delivered, a job is run by the secretary).
 *
 * Wall-clock time decides what is due; the timer only decides when to look. It never sleeps longer
 * than MAX_SLEEP_MS, and each wake compares the wall clock with the monotonic one: a difference means
 * the machine slept or its clock was changed, and is logged. Missed occurrences are then found like
 * any other due one, because their due time is in the past.
 */
import type { Schedule, ScheduleRun } from "@ora/protocol";
import { EventEmitter } from "node:events";
import type { Logger } from "../log.js";
import { formatDuration, formatLocal } from "./when.js";
import { runView, scheduleView, type RunRow, type ScheduleRow, type ScheduleStore } from "./store.js";

/** Later than this past its due time, an occurrence counts as missed (the PC was off or asleep). */
export const GRACE_MS = 60_000;
/** The longest the timer sleeps before it looks at the wall clock again. */
export const MAX_SLEEP_MS = 30_000;
/** A wall clock that moved this much more (or less) than the monotonic clock jumped. */
const JUMP_MS = 5_000;
/** Jobs run one after another at most this many at once; the rest wait their turn. */
const JOB_CONCURRENCY = 2;

export interface Clock {
  now(): number;
  /** Monotonic milliseconds (performance.now()). */
  monotonic(): number;
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

export const SYSTEM_CLOCK: Clock = {
  now: Date.now,
  monotonic: () => performance.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** What happened to a run, as its carrier reports it. */
export interface RunOutcome {
  state: Exclude<ScheduleRun["state"], "started" | "interrupted">;
  notifiedBy: ScheduleRun["notifiedBy"];
  detail: string | null;
}

/** How a due occurrence is to be handled. */
export interface DueRun {
  schedule: ScheduleRow;
  run: RunRow;
  /** How late it is (ms); 0 when on time. */
  lateMs: number;
  /** Missed and its policy says skip: the carrier does not deliver (but says so if the relay already did). */
  skip: boolean;
  /** "late by 2 h: due Mon 30 Nov 09:00 Europe/Paris", or null when on time. */
  lateText: string | null;
}

export interface Carrier {
  reminder(due: DueRun): Promise<RunOutcome>;
  job(due: DueRun): Promise<RunOutcome>;
  /** Called shortly before reminders fall due (the agent withdraws their deposits at the relay). */
  soon?(rows: ScheduleRow[]): void;
}

export interface ScheduleChange {
  schedule: Schedule;
  run?: ScheduleRun;
}

export class Scheduler {
  private readonly events = new EventEmitter();
  private timer: { cancel(): void } | undefined;
  private last: { wall: number; mono: number } | undefined;
  private ticking = false;
  private again = false;
  private stopped = false;
  private jobsRunning = 0;
  private readonly jobQueue: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: ScheduleStore,
    private readonly carrier: Carrier,
    private readonly log: Logger,
    private readonly clock: Clock = SYSTEM_CLOCK,
    /** How long before its due time `carrier.soon` hears of a reminder. */
    private readonly leadMs = 15_000,
    /** True while schedules are paused (the PC is in lockdown): nothing is claimed; poke() after it ends. */
    private readonly paused: () => boolean = () => false,
  ) {
    this.events.setMaxListeners(0);
  }

  onChange(listener: (change: ScheduleChange) => void): () => void {
    this.events.on("change", listener);
    return () => this.events.off("change", listener);
  }

  /** Marks runs left under way by a crash as interrupted (never run twice), then starts looking. */
  start(): void {
    for (const run of this.store.interruptStarted()) {
      this.log.warn("a scheduled run was under way when the agent stopped; it is not run again", { run: run.id });
      const schedule = this.store.get(run.schedule);
      if (schedule) this.changed(schedule, this.store.run(run.id));
    }
    void this.tick();
  }

  /** Stops the timer and waits for runs under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.idle();
  }

  /** Resolves once every run under way has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /** Something changed (a schedule made or cancelled): look again now. */
  poke(): void {
    if (!this.stopped) void this.tick();
  }

  /** Tells listeners of a schedule's new state. */
  changed(row: ScheduleRow, run?: RunRow & Pick<ScheduleRow, "action" | "text">): void {
    this.events.emit("change", { schedule: scheduleView(row), ...(run ? { run: runView(run) } : {}) } satisfies ScheduleChange);
  }

  /** One look at the clock: claims and starts everything due. Runs one at a time; a call meanwhile looks again after. */
  async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    let failed = false;
    try {
      do {
        this.again = false;
        this.noticeJumps();
        // Paused, due occurrences stay unclaimed: once it ends they run per their catch-up policy.
        if (this.paused()) break;
        const now = this.clock.now();
        for (const row of this.store.due(now)) {
          try {
            this.begin(row, now);
          } catch (error) {
            failed = true;
            this.log.error("a due schedule could not be started", { schedule: row.id, error: error instanceof Error ? error.message : String(error) });
          }
        }
        const soon = this.store.due(now + this.leadMs).filter((row) => row.action === "reminder" && (row.next_at ?? 0) > now);
        if (soon.length > 0) this.carrier.soon?.(soon);
      } while (this.again);
    } catch (error) {
      failed = true;
      this.log.error("the scheduler could not look at what is due", { error: error instanceof Error ? error.message : String(error) });
    } finally {
      this.ticking = false;
      this.arm(failed);
    }
  }

  private begin(row: ScheduleRow, now: number): void {
    const run = this.store.claim(row, now);
    if (!run) return;
    const lateMs = Math.max(0, now - run.due_at);
    const missed = lateMs > GRACE_MS;
    const due: DueRun = {
      schedule: row,
      run,
      lateMs,
      skip: missed && row.catch_up === "skip",
      lateText: missed ? `late by ${formatDuration(lateMs)}: due ${formatLocal(run.due_at, row.time_zone)}` : null,
    };
    if (missed) this.log.info("a scheduled run was missed (this PC was off or asleep)", { run: run.id, late: formatDuration(lateMs), policy: row.catch_up });
    this.changed(this.store.get(row.id)!, this.store.run(run.id));
    const work = row.action === "job" && !due.skip ? this.queued(() => this.carry(due)) : this.carry(due);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async carry(due: DueRun): Promise<void> {
    const { schedule, run } = due;
    let outcome: RunOutcome;
    try {
      outcome = schedule.action === "reminder" ? await this.carrier.reminder(due) : await this.carrier.job(due);
    } catch (error) {
      this.log.warn("a scheduled run failed", { run: run.id, error: error instanceof Error ? error.message : String(error) });
      outcome = { state: "failed", notifiedBy: null, detail: "it could not be carried out" };
    }
    this.store.finish(run.id, outcome.state, outcome.notifiedBy, outcome.detail);
    this.changed(this.store.get(schedule.id)!, this.store.run(run.id));
  }

  private async queued(work: () => Promise<void>): Promise<void> {
    if (this.jobsRunning >= JOB_CONCURRENCY) await new Promise<void>((resolve) => this.jobQueue.push(resolve));
    this.jobsRunning++;
    try {
      await work();
    } finally {
      this.jobsRunning--;
      this.jobQueue.shift()?.();
    }
  }

  private noticeJumps(): void {
    const wall = this.clock.now();
    const mono = this.clock.monotonic();
    if (this.last) {
      const drift = wall - this.last.wall - (mono - this.last.mono);
      if (Math.abs(drift) > JUMP_MS) {
        this.log.info(drift > 0 ? "the clock jumped forward (the PC slept, or its time was set)" : "the clock went back (its time was set)", {
          by: formatDuration(Math.abs(drift)),
        });
      }
    }
    this.last = { wall, mono };
  }

  /** Sets the timer for the next look: at the next due time (or lead time), at most MAX_SLEEP_MS away. */
  private arm(failed = false): void {
    if (this.stopped) return;
    this.timer?.cancel();
    const now = this.clock.now();
    const next = this.store.nextDue();
    let wait = MAX_SLEEP_MS;
    // Paused, what is due stays due: look again only now and then (poke() ends the pause at once).
    if (next !== null && !this.paused()) wait = Math.min(wait, Math.max(0, next - now), Math.max(0, next - this.leadMs - now) || wait);
    // A timer may fire a little early (Node starts it from the loop's cached time): look again at
    // once, not 10 ms later. After a failure, not in a tight loop.
    this.timer = this.clock.setTimer(() => void this.tick(), failed ? Math.max(1000, wait) : Math.max(1, wait));
  }
}
