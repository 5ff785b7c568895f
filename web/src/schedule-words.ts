/**
 * How reminders and scheduled jobs read to a person, shared by the Reminders view and the chat: exact
 * times in this device's zone ("Mon 30 Nov 09:00"), with the schedule's own zone beside them when it
 * differs, and what became of each run. The states are the catalogue's (RUN_STATES).
 */
import type { RUN_STATES, Schedule } from "@ora/protocol";
import { h } from "./dom.js";
import { linkTo } from "./routes.js";

/** What a run's state says in the Past list. */
export const RUN_LABELS = {
  started: "Running",
  delivered: "Delivered",
  skipped: "Skipped",
  failed: "Failed",
  interrupted: "Interrupted",
} as const satisfies Record<(typeof RUN_STATES)[number], string>;

export const ACTION_LABELS = { reminder: "Reminder", job: "Scheduled job" } as const satisfies Record<Schedule["action"], string>;

/** This device's IANA time zone, which the form sends and every time is shown in. */
export const deviceZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "Mon 30 Nov 09:00" in a zone (the device's by default), exact to the minute; the year only when it is not this one. */
export function exactTime(at: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "2-digit",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const year = part("year") === String(new Date().getFullYear()) ? "" : ` ${part("year")}`;
  return `${part("weekday")} ${part("day")} ${part("month")}${year} ${part("hour")}:${part("minute")}`;
}

/**
 * A schedule's time as this device reads it, with the schedule's zone added when that is another:
 * "Mon 30 Nov 08:00 (09:00 Europe/Paris)"; the zone's date is repeated only when it is another day.
 */
export function timeOf(at: number, timeZone: string): string {
  const here = exactTime(at);
  if (sameZone(at, timeZone)) return here;
  const there = exactTime(at, timeZone);
  const sameDay = there.slice(0, -6) === here.slice(0, -6);
  return `${here} (${sameDay ? there.slice(-5) : there} ${timeZone})`;
}

/** Whether a zone reads the same wall-clock time as this device at that instant (Europe/Paris vs Europe/Berlin: same). */
function sameZone(at: number, timeZone: string): boolean {
  if (timeZone === deviceZone()) return true;
  try {
    return exactTime(at, timeZone) === exactTime(at);
  } catch {
    return false; // a zone this browser does not know: name it
  }
}

/** When a schedule runs, in words: "Mon 30 Nov 09:00", or "every Monday at 08:00 · next Mon 30 Nov 08:00". */
export function whenText(schedule: Schedule): string {
  const next = schedule.nextAt === null ? undefined : timeOf(schedule.nextAt, schedule.timeZone);
  if (schedule.kind === "recurring") return next ? `${schedule.when} · next ${next}` : schedule.when;
  return next ?? schedule.when;
}

/** The chat's card for a schedule a message made: "⏰ Reminder set: call the bank — Mon 30 Nov 09:00", linking to the list. */
export function scheduleCard(schedule: Schedule): HTMLElement {
  return h(
    "p",
    { class: "schedule-card", "data-schedule": schedule.id },
    h("span", { "aria-hidden": "true" }, "⏰ "),
    `${ACTION_LABELS[schedule.action]} set: `,
    h("strong", {}, schedule.text),
    ` — ${whenText(schedule)} · `,
    h("a", { href: linkTo("reminders", schedule.id) }, "See all reminders"),
  );
}
