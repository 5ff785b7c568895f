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
  if (schedule.kind === "recurring") {
    const when = (schedule.cron && patternWords(schedule.cron)) || schedule.when;
    return next ? t("reminders.next", { when, next }) : when;
  }
  return next ?? schedule.when;
}

/**
 * A recurring schedule's cron pattern in the reader's language, for the shapes the PC makes from
 * words ("every monday 8:00", "毎週月曜8時", "every 2 hours"); undefined for any other pattern,
 * which then reads as the PC wrote it. Times are the schedule's own zone's wall clock.
 */
export function patternWords(cron: string): string | undefined {
  const [minute = "", hour = "", day, month, weekday = ""] = cron.trim().split(/\s+/);
  if (day !== "*" || month !== "*" || weekday === undefined) return undefined;
  const every = /^\*\/(\d+)$/;
  if (hour === "*" && weekday === "*") {
    if (minute === "*") return t("reminders.every.minute");
    const n = every.exec(minute)?.[1];
    if (n) return t("reminders.every.minutes", { count: n });
    return minute === "0" ? t("reminders.every.hour") : undefined;
  }
  const hours = every.exec(hour)?.[1];
  if (hours && minute === "0" && weekday === "*") return t("reminders.every.hours", { count: hours });
  if (!/^\d+$/.test(minute) || !/^\d+$/.test(hour)) return undefined;
  const time = `${currentLanguage() === "ja" ? Number(hour) : hour.padStart(2, "0")}:${minute.padStart(2, "0")}`;
  if (weekday === "*") return t("reminders.every.day", { time });
  if (weekday === "1-5") return t("reminders.every.weekday", { time });
  if (!/^[0-7](,[0-7])*$/.test(weekday)) return undefined;
  const names = weekday.split(",").map((d) => dayName(Number(d) % 7));
  return t("reminders.every.week", { days: names.join(currentLanguage() === "ja" ? "・" : ", "), time });
}

/** A weekday's name (0 = Sunday): "Monday", "月曜". */
function dayName(day: number): string {
  // 4 January 1970 was a Sunday.
  const name = new Intl.DateTimeFormat(currentLanguage(), { weekday: currentLanguage() === "ja" ? "short" : "long", timeZone: "UTC" }).format(
    Date.UTC(1970, 0, 4 + day),
  );
  return currentLanguage() === "ja" ? `${name}曜` : name;
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
