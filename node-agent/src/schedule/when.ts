/**
 * "When", read the way a person writes it: "tomorrow 9am", "in 20 minutes", "every monday 8:00",
 * "明日9時", "毎週月曜8時", an ISO 8601 time, or a cron pattern. One-time expressions go through
 * chrono-node (English and Japanese), recurring ones become cron patterns that croner evaluates in the
 * user's IANA time zone. Wall-clock times are resolved in that zone by croner, so a reminder for
 * "tomorrow 9:00" is 9:00 there even when tomorrow's UTC offset differs from today's.
 *
 * Daylight-saving time, as croner resolves it: a wall time that does not exist (02:30 on a
 * spring-forward day) runs once, at the first minute after the gap (03:00) for a recurring pattern
 * and shifted by the gap (03:30) for a one-time reminder; a wall time that exists twice (01:30 on a
 * fall-back day) runs once, at its first occurrence.
 */
import * as chrono from "chrono-node";
import { Cron } from "croner";

export interface When {
  kind: "once" | "recurring";
  /** One-time: the instant (ms since the epoch). */
  at?: number;
  /** Recurring: a 5-field cron pattern (minute hour day month weekday). */
  cron?: string;
  /** How it was understood, in words ("every Monday at 08:00", "in 20 minutes"). */
  words: string;
}

export type Understood = { ok: true; when: When; rest: string } | { ok: false; message: string };

export interface ReadOptions {
  now: number;
  timeZone: string;
}

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const JA_DAYS = "日月火水木金土";
/** When a recurring expression names no time of day. */
const DEFAULT_HOUR = 9;
const EXAMPLES = '"tomorrow 9am", "in 20 minutes", "every monday 8:00", "2026-12-24T18:00", "cron 0 8 * * 1-5", "明日9時"';

/** Reads a time expression that is the whole of `input` (the `when` of a tool call or a form). */
export function readWhen(input: string, options: ReadOptions): { ok: true; when: When } | { ok: false; message: string } {
  const read = understand(input.trim(), options);
  if (!read.ok) return read;
  if (read.rest !== "") return { ok: false, message: `"${input.trim()}": understood ${read.when.words}, but not "${read.rest}"` };
  return { ok: true, when: read.when };
}

/** Reads `/remind <when> <text>`: the time expression wherever it is, and the rest as the text. */
export function readReminder(input: string, options: ReadOptions): Understood {
  return understand(input.trim(), options);
}

function understand(text: string, options: ReadOptions): Understood {
  if (text === "") return { ok: false, message: `say when, e.g. ${EXAMPLES}` };
  return recurring(text) ?? cronPattern(text) ?? isoTime(text, options) ?? relativeJa(text, options) ?? casual(text, options);
}

// ---- recurring ----

function recurring(text: string): Understood | undefined {
  const every = /^every\s+(.*)$/is.exec(text);
  if (every) return everyEn(every[1]!);
  const ja = /^(毎日|平日|毎週?([日月火水木金土])曜日?|毎朝|毎晩)\s*(?:の)?\s*(午前|午後)?\s*(\d{1,2})(?:(?:時|:)(半|(\d{1,2})分?)?)?に?(.*)$/s.exec(text);
  if (ja) {
    const [, what, day, half, hourText, minuteWord, minuteText, rest] = ja;
    let hour = Number(hourText);
    if (half === "午後" && hour < 12) hour += 12;
    const minute = minuteWord === "半" ? 30 : minuteText === undefined ? 0 : Number(minuteText);
    if (hour > 23 || minute > 59) return { ok: false, message: `"${text}": not a time of day` };
    const days = what === "平日" ? [1, 2, 3, 4, 5] : day ? [JA_DAYS.indexOf(day)] : [0, 1, 2, 3, 4, 5, 6];
    return weekly(days, { hour, minute }, rest ?? "");
  }
  return undefined;
}

const TIME_WORD = /^(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)?|noon|midnight)$/i;

/** After "every": an interval ("2 hours"), or days ("monday", "mon, wed and fri", "weekday") and a time. */
function everyEn(text: string): Understood {
  const interval = /^(?:(\d+)\s*)?(minutes?|mins?|hours?)\b\s*(.*)$/is.exec(text);
  if (interval) return everyInterval(interval[1] === undefined ? 1 : Number(interval[1]), interval[2]!, interval[3] ?? "");
  const words = text.split(/\s+/);
  const days: number[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const word = words[i]!.toLowerCase().replace(/,$/, "");
    if (word === "and" || word === "&" || word === "") continue;
    const found = dayWord(word);
    if (!found) break;
    for (const d of found) if (!days.includes(d)) days.push(d);
  }
  if (days.length === 0)
    return { ok: false, message: `"every ${words[0] ?? ""}": say every day, every weekday, every monday (or several: every mon, wed), every 2 hours` };
  if (words[i]?.toLowerCase() === "at") i++;
  let time = { hour: DEFAULT_HOUR, minute: 0 };
  // "8:00", "8am", "8 am", "noon"
  for (const span of [2, 1]) {
    const candidate = words.slice(i, i + span).join(" ");
    const read = TIME_WORD.test(candidate) ? clockTime(candidate) : undefined;
    if (read) {
      time = read;
      i += span;
      break;
    }
  }
  return weekly(days.sort(), time, words.slice(i).join(" "));
}

function dayWord(word: string): number[] | undefined {
  if (word === "day" || word === "days" || word === "morning") return [0, 1, 2, 3, 4, 5, 6];
  if (word === "weekday" || word === "weekdays") return [1, 2, 3, 4, 5];
  if (word === "weekend" || word === "weekends") return [0, 6];
  const bare = word.replace(/s$/, "");
  const day = DAYS.findIndex((d) => d === bare || (bare.length >= 3 && d.startsWith(bare)));
  return day === -1 ? undefined : [day];
}

function everyInterval(count: number, unitWord: string, rest: string): Understood {
  const unit = unitWord.toLowerCase().startsWith("h") ? "hour" : "minute";
  if (unit === "minute" && (count < 1 || count > 59)) return { ok: false, message: "every N minutes: N from 1 to 59" };
  if (unit === "hour" && (count < 1 || count > 23)) return { ok: false, message: "every N hours: N from 1 to 23" };
  const cron = unit === "minute" ? (count === 1 ? "* * * * *" : `*/${count} * * * *`) : count === 1 ? "0 * * * *" : `0 */${count} * * *`;
  const words = count === 1 ? `every ${unit}` : `every ${count} ${unit}s`;
  return { ok: true, when: { kind: "recurring", cron, words }, rest: clean(rest) };
}

function clockTime(text: string): { hour: number; minute: number } | undefined {
  const t = text.trim().toLowerCase();
  if (t === "noon") return { hour: 12, minute: 0 };
  if (t === "midnight") return { hour: 0, minute: 0 };
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/.exec(t);
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (m[3] !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (m[3] === "pm" ? 12 : 0);
  }
  return hour <= 23 && minute <= 59 ? { hour, minute } : undefined;
}

function weekly(days: number[], time: { hour: number; minute: number }, rest: string): Understood {
  const all = days.length === 7;
  const weekdays = days.join(",") === "1,2,3,4,5";
  const cron = `${time.minute} ${time.hour} * * ${all ? "*" : weekdays ? "1-5" : days.join(",")}`;
  const which = all ? "day" : weekdays ? "weekday" : days.map((d) => DAY_NAMES[d]).join(", ");
  return { ok: true, when: { kind: "recurring", cron, words: `every ${which} at ${pad(time.hour)}:${pad(time.minute)}` }, rest: clean(rest) };
}

/** "cron 0 8 * * 1-5 <text>", or a bare five-field pattern that is all of the input. */
function cronPattern(text: string): Understood | undefined {
  const m = /^cron:?\s+((?:\S+\s+){4}\S+)(?:\s+(.*))?$/is.exec(text) ?? /^()([\d*](?:\S*\s+){4}\S+)$/.exec(text);
  if (!m) return undefined;
  const cron = (m[1] || m[2]!).trim().replace(/\s+/g, " ");
  const rest = m[1] ? (m[2] ?? "") : "";
  try {
    new Cron(cron, { paused: true });
  } catch (error) {
    return { ok: false, message: `cron pattern "${cron}": ${error instanceof Error ? error.message : "not valid"}` };
  }
  if (cron.split(" ").length !== 5) return { ok: false, message: "a cron pattern has five fields: minute hour day month weekday" };
  return { ok: true, when: { kind: "recurring", cron, words: `cron ${cron}` }, rest: clean(rest) };
}

// ---- one time ----

function isoTime(text: string, { timeZone }: ReadOptions): Understood | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?(?=\s|$)(.*)$/s.exec(text);
  if (!m) return undefined;
  const wall = m[1]!.replace(" ", "T");
  const at = m[2] ? Date.parse(`${wall}${m[2]}`) : wallTime(wall, timeZone);
  if (at === undefined || Number.isNaN(at)) return { ok: false, message: `"${m[0]}" is not a valid date and time` };
  return { ok: true, when: { kind: "once", at, words: formatLocal(at, timeZone) }, rest: clean(m[3] ?? "") };
}

const JA_UNITS: Record<string, number> = { 秒: 1000, 分: 60_000, 時間: 3_600_000, 日: 86_400_000 };

/** "20分後", "2時間後に" (chrono's Japanese parser does not read these). */
function relativeJa(text: string, { now }: ReadOptions): Understood | undefined {
  const m = /^(\d+)\s*(秒|分|時間|日)後に?(.*)$/s.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  return { ok: true, when: { kind: "once", at: now + n * JA_UNITS[m[2]!]!, words: `${m[1]}${m[2]}後` }, rest: clean(m[3] ?? "") };
}

function casual(text: string, { now, timeZone }: ReadOptions): Understood {
  const reference = { instant: new Date(now), timezone: offsetMinutes(now, timeZone) };
  // Both languages, and the expression that comes first (the longer one when they start together):
  // "in 1 minute 銀行に電話" is English time with Japanese text, "明日9時 call the bank" the reverse.
  const found = [...chrono.parse(text, reference, { forwardDate: true }), ...chrono.ja.parse(text, reference, { forwardDate: true })].sort(
    (a, b) => a.index - b.index || b.text.length - a.text.length,
  )[0];
  if (!found) return { ok: false, message: `no time found in "${text}"; say when, e.g. ${EXAMPLES}` };
  const rest = clean(`${text.slice(0, found.index)} ${text.slice(found.index + found.text.length)}`);
  const start = found.start;
  let at: number | undefined;
  if (found.tags().has("result/relativeDate")) at = start.date().getTime();
  else {
    const hour = start.isCertain("hour") ? (start.get("hour") ?? DEFAULT_HOUR) : DEFAULT_HOUR;
    const minute = start.isCertain("hour") ? (start.get("minute") ?? 0) : 0;
    const second = start.isCertain("second") ? (start.get("second") ?? 0) : 0;
    const wall = `${start.get("year")}-${pad(start.get("month") ?? 1)}-${pad(start.get("day") ?? 1)}T${pad(hour)}:${pad(minute)}:${pad(second)}`;
    at = wallTime(wall, timeZone);
  }
  if (at === undefined) return { ok: false, message: `"${found.text}" could not be placed in ${timeZone}` };
  return { ok: true, when: { kind: "once", at, words: found.text }, rest };
}

/** A wall-clock time in an IANA zone → the instant, by croner's rules (see the top of this file). */
function wallTime(wall: string, timeZone: string): number | undefined {
  try {
    return new Cron(wall, { timezone: timeZone, paused: true }).nextRun(new Date(0))?.getTime();
  } catch {
    return undefined;
  }
}

/** Cron's next occurrence strictly after `after` (ms), in the zone; null when there is none. */
export function nextOccurrence(cron: string, timeZone: string, after: number): number | null {
  return new Cron(cron, { timezone: timeZone, paused: true }).nextRun(new Date(after))?.getTime() ?? null;
}

/** The shortest gap between two of the next few occurrences (ms): how often it runs at most. */
export function shortestInterval(cron: string, timeZone: string, from: number): number {
  const runs = new Cron(cron, { timezone: timeZone, paused: true }).nextRuns(6, new Date(from)).map((d) => d.getTime());
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < runs.length; i++) shortest = Math.min(shortest, runs[i]! - runs[i - 1]!);
  return shortest;
}

/** "Mon 30 Nov 09:00 Europe/Paris": weekday, day, month, 24-hour time, and the zone's name. */
export function formatLocal(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("weekday")} ${part("day")} ${part("month")} ${part("hour")}:${part("minute")} ${timeZone}`;
}

/** "2 h 5 min", "45 s": how late, said plainly. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.round(h / 24)} days`;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset at `at`, in minutes (chrono's reference takes an offset, not a zone name). */
function offsetMinutes(at: number, timeZone: string): number {
  const name =
    new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The text left around a time expression, without the little words that joined them. */
function clean(text: string): string {
  return text
    .trim()
    .replace(/^(?:,|:|-|—|to|that|about|of|に|、)\s*/i, "")
    .replace(/^(?:to|that)\s+/i, "")
    .replace(/\s+/g, " ")
    .trim();
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
