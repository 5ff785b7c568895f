/**
 * How reminders and scheduled jobs read to a person, shared by the Reminders view and the chat: exact
 * times in this device's zone ("Mon 30 Nov 09:00", "11月30日(月) 9:00"), with the schedule's own zone
 * beside them when it differs, and what became of each run. The states are the catalogue's (RUN_STATES).
 */
import type { RUN_STATES, Schedule } from "@ora/protocol";
import { h } from "./dom.js";
import { currentLanguage, formatDateTime, t } from "./i18n/index.js";
import { linkTo } from "./routes.js";

/** What a run's state says in the Past list. */
export const runLabel = (state: (typeof RUN_STATES)[number]): string => t(`reminders.run.${state}`);

export const actionLabel = (action: Schedule["action"]): string => t(`reminders.action.${action}`);

/** This device's IANA time zone, which the form sends and every time is shown in. */
export const deviceZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant's day and time in a zone (the device's by default); the year only when it is not this one. */
function dayAndTime(at: number, timeZone?: string): { day: string; time: string } {
  if (currentLanguage() === "ja") {
    // "11月30日(月)" and "9:00"
    const day = formatDateTime(at, { timeZone, weekday: "short", hour: undefined, minute: undefined });
    return { day, time: formatDateTime(at, { timeZone, year: undefined, month: undefined, day: undefined, hour: "numeric", hourCycle: "h23" }) };
  }
  // English as a diary reads it, 24-hour and exact: "Mon 30 Nov 09:00".
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
  return { day: `${part("weekday")} ${part("day")} ${part("month")}${year}`, time: `${part("hour")}:${part("minute")}` };
}

/** "Mon 30 Nov 09:00" in a zone (the device's by default), exact to the minute. */
export function exactTime(at: number, timeZone?: string): string {
  const { day, time } = dayAndTime(at, timeZone);
  return `${day} ${time}`;
}

/**
 * A schedule's time as this device reads it, with the schedule's zone added when that is another:
 * "Mon 30 Nov 08:00 (09:00 Europe/Paris)"; the zone's date is repeated only when it is another day.
 */
export function timeOf(at: number, timeZone: string): string {
  const here = dayAndTime(at);
  if (sameZone(at, timeZone)) return `${here.day} ${here.time}`;
  const there = dayAndTime(at, timeZone);
  return `${here.day} ${here.time} (${there.day === here.day ? there.time : `${there.day} ${there.time}`} ${timeZone})`;
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
  if (schedule.kind === "recurring") return next ? t("reminders.next", { when: schedule.when, next }) : schedule.when;
  return next ?? schedule.when;
}

/** The chat's card for a schedule a message made: "⏰ Reminder set: call the bank — Mon 30 Nov 09:00", linking to the list. */
export function scheduleCard(schedule: Schedule): HTMLElement {
  return h(
    "p",
    { class: "schedule-card", "data-schedule": schedule.id },
    h("span", { "aria-hidden": "true" }, "⏰ "),
    `${t("reminders.card-set", { action: actionLabel(schedule.action) })} `,
    h("strong", {}, schedule.text),
    ` — ${whenText(schedule)} · `,
    h("a", { href: linkTo("reminders", schedule.id) }, t("reminders.see-all")),
  );
}
