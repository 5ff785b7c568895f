/**
 * Making, listing and cancelling schedules, for one requester at a time: the tools (tools.ts), the
 * `schedules.*` methods and `/remind` all come here. Each user sees and cancels only their own (the
 * PC's own command line sees everyone's). Guests are limited in how many they keep and how often one
 * may run.
 */
import type { Requester, Schedule } from "@ora/protocol";
import { ToolError } from "../safety/tool.js";
import type { Scheduler } from "./scheduler.js";
import { runView, scheduleView, type ScheduleStore } from "./store.js";
import { formatLocal, isTimeZone, nextOccurrence, readWhen, shortestInterval, type When } from "./when.js";

export interface ScheduleLimits {
  /** Active schedules per user. */
  perUser: number;
  perGuest: number;
  /** How often a guest's recurring schedule may run at most (ms between runs). */
  guestMinIntervalMs: number;
  /** How far ahead a one-time schedule may be. */
  maxAheadMs: number;
}

export const DEFAULT_SCHEDULE_LIMITS: ScheduleLimits = {
  perUser: 200,
  perGuest: 10,
  guestMinIntervalMs: 3_600_000,
  maxAheadMs: 5 * 366 * 86_400_000,
};

export interface CreateInput {
  action: Schedule["action"];
  /** "tomorrow 9am", "every monday 8:00", an ISO time, "cron 0 8 * * 1-5" (or already read, by /remind). */
  when: string | When;
  text: string;
  timeZone?: string | undefined;
  catchUp?: Schedule["catchUp"] | undefined;
}

export interface Created {
  schedule: Schedule;
  /** "call the bank: Mon 30 Nov 09:00 Europe/Paris", exactly what was understood. */
  understood: string;
}

export class ScheduleService {
  constructor(
    private readonly store: ScheduleStore,
    private readonly scheduler: Scheduler,
    /** The user's time zone: ORA_TIME_ZONE, or this PC's. */
    readonly timeZone: string,
    private readonly now: () => number = Date.now,
    private readonly limits: ScheduleLimits = DEFAULT_SCHEDULE_LIMITS,
    /** Told of every schedule made or cancelled (the agent keeps its deposit at the relay in step). */
    private readonly onChanged: (scheduleId: string) => void = () => undefined,
  ) {}

  create(requester: Requester, input: CreateInput): Created {
    const timeZone = input.timeZone ?? this.timeZone;
    if (!isTimeZone(timeZone)) throw new ToolError("bad_args", `"${timeZone}" is not a known IANA time zone (example: Europe/Paris)`);
    const text = input.text.trim();
    if (text === "") throw new ToolError("bad_args", "say what to remind of (or, for a job, what to do)");
    let when: When;
    if (typeof input.when === "string") {
      const read = readWhen(input.when, { now: this.now(), timeZone });
      if (!read.ok) throw new ToolError("bad_args", read.message);
      when = read.when;
    } else when = input.when;
    const now = this.now();
    const guest = requester.role === "guest";
    if (when.kind === "once") {
      if (when.at! <= now) throw new ToolError("bad_args", `${formatLocal(when.at!, timeZone)} has passed; say a time to come`);
      if (when.at! - now > this.limits.maxAheadMs) throw new ToolError("bad_args", "that is more than five years ahead");
    } else {
      if (nextOccurrence(when.cron!, timeZone, now) === null) throw new ToolError("bad_args", `"${when.words}" never comes`);
      if (guest && shortestInterval(when.cron!, timeZone, now) < this.limits.guestMinIntervalMs)
        throw new ToolError("denied", "a guest's recurring schedule may run at most once an hour");
    }
    const cap = guest ? this.limits.perGuest : this.limits.perUser;
    if (this.store.activeCount(requester.user) >= cap) throw new ToolError("rate_limited", `you have ${cap} active schedules, the most kept; cancel some first`);
    // A recurring job that missed its time waits for the next one; everything else runs late, saying so.
    const catchUp = input.catchUp ?? (input.action === "job" && when.kind === "recurring" ? "skip" : "late");
    const row = this.store.create({ requester, action: input.action, text, when, timeZone, catchUp });
    this.scheduler.changed(row);
    this.scheduler.poke();
    this.onChanged(row.id);
    const at = row.next_at === null ? "never" : formatLocal(row.next_at, timeZone);
    const understood = when.kind === "once" ? `${text}: ${at}` : `${text}: ${when.words} (${timeZone}), first ${at}`;
    return { schedule: scheduleView(row), understood };
  }

  list(requester: Requester, options: { runs: number; finished: boolean }) {
    const user = requester.via === "local" ? null : requester.user;
    return {
      schedules: this.store.list(user, options.finished).map(scheduleView),
      runs: this.store.runs(user, options.runs).map(runView),
    };
  }

  cancel(requester: Requester, id: string): Schedule {
    const row = this.store.get(id);
    // Another user's schedule is "not found": its existence is not theirs to learn.
    if (!row || (requester.via !== "local" && row.req_user !== requester.user)) throw new ToolError("not_found", `no schedule ${id}`);
    const cancelled = this.store.cancel(id);
    if (!cancelled) throw new ToolError("denied", `schedule ${id} is ${row.state} already`);
    this.scheduler.changed(cancelled);
    this.onChanged(id);
    return scheduleView(cancelled);
  }
}
