/**
 * Reminders and scheduled jobs, kept on the PC. A schedule belongs to the user who made it; it runs
 * once (at a time, or after a delay) or on a cron pattern in a time zone. A reminder delivers its text;
 * a job is a prompt the secretary runs as its user, through the same policy as a chat message. Every
 * occurrence that comes due is one run, with its own id, that happens at most once.
 */
import * as z from "zod/mini";
import { EVERYONE, method } from "./define.js";

export const SCHEDULE_ACTIONS = ["reminder", "job"] as const;
export const ScheduleAction = z.enum(SCHEDULE_ACTIONS);
/** When the PC was off or asleep at the due time: run once, late, saying so; or skip that occurrence. */
export const CATCH_UP_POLICIES = ["late", "skip"] as const;
export const CatchUp = z.enum(CATCH_UP_POLICIES);
export const SCHEDULE_STATES = ["active", "done", "cancelled"] as const;
export const ScheduleState = z.enum(SCHEDULE_STATES);

export const Schedule = z.object({
  id: z.string(),
  action: ScheduleAction,
  /** The reminder's text, or the job's prompt. */
  text: z.string(),
  kind: z.enum(["once", "recurring"]),
  /** The cron pattern of a recurring schedule (minute hour day month weekday), read in `timeZone`. */
  cron: z.nullable(z.string()),
  /** The IANA time zone its times are read in ("Europe/Paris"). */
  timeZone: z.string(),
  /** How it was asked for, as understood ("every Monday at 08:00", "in 20 minutes"). */
  when: z.string(),
  catchUp: CatchUp,
  state: ScheduleState,
  /** The user it belongs to ("owner", or a guest's device id). */
  user: z.string(),
  /** The next due time (ms since the epoch); null once it will not run again. */
  nextAt: z.nullable(z.number()),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Schedule = z.infer<typeof Schedule>;

export const RUN_STATES = ["started", "delivered", "skipped", "failed", "interrupted"] as const;
export const RunState = z.enum(RUN_STATES);

/** One occurrence of a schedule that came due. */
export const ScheduleRun = z.object({
  /** `<schedule id>@<due time in ms>`: one id per occurrence, so it can run only once. */
  id: z.string(),
  schedule: z.string(),
  action: ScheduleAction,
  text: z.string(),
  dueAt: z.number(),
  startedAt: z.number(),
  finishedAt: z.nullable(z.number()),
  state: RunState,
  /** How late it ran (ms); 0 when on time. */
  lateMs: z.number(),
  /** Who put the notification on the lock screen: this PC, or the relay from a deposit while the PC slept. */
  notifiedBy: z.nullable(z.enum(["agent", "relay"])),
  /** What happened, in words ("late by 2 h", the job's answer, why it failed). */
  detail: z.nullable(z.string()),
});
export type ScheduleRun = z.infer<typeof ScheduleRun>;

const Id = z.string().check(z.minLength(1), z.maxLength(64));

export const scheduleMethods = {
  "schedules.list": method({
    description: "Your reminders and scheduled jobs (active first, then finished), with recent runs, newest first.",
    roles: EVERYONE,
    params: z._default(z.object({ runs: z._default(z.number().check(z.int(), z.gte(0), z.lte(200)), 50), finished: z._default(z.boolean(), true) }), {
      runs: 50,
      finished: true,
    }),
    result: z.object({ schedules: z.array(Schedule), runs: z.array(ScheduleRun) }),
  }),
  "schedules.create": method({
    description:
      'Schedules a reminder (or, with action "job", a prompt the secretary runs then) from words like "tomorrow 9am", "in 20 minutes", "every monday 8:00" or a cron pattern; answers with the exact time understood.',
    roles: EVERYONE,
    params: z.object({
      when: z.string().check(z.minLength(1), z.maxLength(200)),
      text: z.string().check(z.minLength(1), z.maxLength(2000)),
      action: z._default(ScheduleAction, "reminder"),
      timeZone: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      catchUp: z.optional(CatchUp),
    }),
    result: z.object({ schedule: Schedule, understood: z.string() }),
  }),
  "schedules.cancel": method({
    description: "Cancels one of your schedules; it will not run again, and its deposit at the relay is withdrawn.",
    roles: EVERYONE,
    params: z.object({ id: Id }),
    result: z.object({ schedule: Schedule }),
  }),
};

export const scheduleEvents = {
  schedule: {
    description: "A schedule was created, ran or was cancelled; sent to its user's devices.",
    data: z.object({ schedule: Schedule, run: z.optional(ScheduleRun) }),
  },
};
