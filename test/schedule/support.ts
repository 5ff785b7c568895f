/** A schedule store over a real SQLite file, a clock the test moves, and a carrier that records its runs. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Requester } from "@ora/protocol";
import { createLogger } from "../../node-agent/src/log.js";
import { openDatabase } from "../../node-agent/src/safety/db.js";
import { SCHEDULE_MIGRATIONS } from "../../node-agent/src/schedule/schema.js";
import { type Carrier, type Clock, type DueRun, Scheduler } from "../../node-agent/src/schedule/scheduler.js";
import { ScheduleService } from "../../node-agent/src/schedule/service.js";
import { ScheduleStore } from "../../node-agent/src/schedule/store.js";

export const owner: Requester = { device: "dev-owner", role: "owner", user: "owner", via: "relay" };
export const guest: Requester = { device: "dev-guest", role: "guest", user: "dev-guest", via: "relay" };

/** Wall and monotonic time, moved by the test; `jump` moves the wall clock alone (sleep, or the time being set). */
export class TestClock implements Clock {
  mono = 1_000_000;
  timers: { fn: () => void; cancelled: boolean }[] = [];
  constructor(public wall: number) {}
  now = () => this.wall;
  monotonic = () => this.mono;
  setTimer(fn: () => void) {
    const timer = { fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
  advance(ms: number) {
    this.wall += ms;
    this.mono += ms;
  }
  jump(ms: number) {
    this.wall += ms;
  }
  set(at: number) {
    this.advance(at - this.wall);
  }
}

export function recordingCarrier(outcome: "delivered" | "hang" = "delivered") {
  const runs: DueRun[] = [];
  const carry = (due: DueRun) => {
    runs.push(due);
    if (outcome === "hang") return new Promise<never>(() => undefined);
    return Promise.resolve({ state: due.skip ? ("skipped" as const) : ("delivered" as const), notifiedBy: null, detail: due.lateText });
  };
  const carrier: Carrier = { reminder: carry, job: carry };
  return { carrier, runs };
}

export function harness(start: string, options: { stateDir?: string; carrier?: Carrier; timeZone?: string } = {}) {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "ora-schedule-"));
  const db = openDatabase(stateDir, [SCHEDULE_MIGRATIONS]);
  const clock = new TestClock(Date.parse(start));
  const lines: string[] = [];
  const log = createLogger("info", (line) => void lines.push(line));
  const recorded = recordingCarrier();
  const store = new ScheduleStore(db, clock.now);
  const scheduler = new Scheduler(store, options.carrier ?? recorded.carrier, log, clock);
  const service = new ScheduleService(store, scheduler, options.timeZone ?? "Europe/Paris", clock.now);
  /** One look at the clock, and every run it started finished. */
  const tick = async () => {
    await scheduler.tick();
    await scheduler.idle();
  };
  return { stateDir, db, clock, store, scheduler, service, runs: recorded.runs, lines, tick };
}

/** Moves the clock to each next due time in turn, `count` times, and returns the run times. */
export async function runNext(h: ReturnType<typeof harness>, count: number): Promise<number[]> {
  const at: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = h.store.nextDue();
    if (next === null) break;
    h.clock.set(Math.max(next, h.clock.wall));
    await h.tick();
    at.push(h.runs.at(-1)!.run.due_at);
  }
  return at;
}

/** "2026-03-29 03:00" in the zone. */
export function wall(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
}
