/** Reading "when" as people write it, in English and Japanese, in the user's time zone. */
import { describe, expect, it } from "vitest";
import { formatDuration, formatLocal, readReminder, readWhen } from "../../node-agent/src/schedule/when.js";

const now = Date.parse("2026-11-29T11:00:00Z"); // Sunday 29 November, 12:00 in Paris, 20:00 in Tokyo

function reminder(text: string, timeZone = "Europe/Paris") {
  const read = readReminder(text, { now, timeZone });
  if (!read.ok) return { error: read.message };
  const { when, rest } = read;
  return { kind: when.kind, at: when.at === undefined ? undefined : formatLocal(when.at, timeZone), cron: when.cron, words: when.words, rest };
}

describe("one-time expressions", () => {
  it.each([
    ["tomorrow at 9 to call the bank", "Europe/Paris", "Mon 30 Nov 09:00 Europe/Paris", "call the bank"],
    ["tomorrow 9am call the bank", "America/New_York", "Mon 30 Nov 09:00 America/New_York", "call the bank"],
    ["in 20 minutes take the pasta out", "Europe/Paris", "Sun 29 Nov 12:20 Europe/Paris", "take the pasta out"],
    ["at 10 meeting", "UTC", "Mon 30 Nov 10:00 UTC", "meeting"],
    ["2026-12-24T18:00 party", "Europe/Paris", "Thu 24 Dec 18:00 Europe/Paris", "party"],
    ["2026-12-24T18:00:00Z party", "Asia/Tokyo", "Fri 25 Dec 03:00 Asia/Tokyo", "party"],
    ["明日9時に銀行に電話", "Asia/Tokyo", "Mon 30 Nov 09:00 Asia/Tokyo", "銀行に電話"],
    ["20分後にパスタ", "Asia/Tokyo", "Sun 29 Nov 20:20 Asia/Tokyo", "パスタ"],
    ["2時間後 会議", "Asia/Tokyo", "Sun 29 Nov 22:00 Asia/Tokyo", "会議"],
    ["in 1 minute 銀行に電話", "Asia/Tokyo", "Sun 29 Nov 20:01 Asia/Tokyo", "銀行に電話"],
    ["明日9時 call the bank", "Asia/Tokyo", "Mon 30 Nov 09:00 Asia/Tokyo", "call the bank"],
  ])("%s (%s)", (text, zone, at, rest) => {
    expect(reminder(text, zone)).toMatchObject({ kind: "once", at, rest });
  });

  it("reads a wall time on the day the zone changes its offset in that day's offset", () => {
    // 28 March 2026 in Paris is UTC+1; the next day, after 02:00, UTC+2.
    const read = readWhen("tomorrow 9am", { now: Date.parse("2026-03-28T11:00:00Z"), timeZone: "Europe/Paris" });
    expect(read.ok && new Date(read.when.at!).toISOString()).toBe("2026-03-29T07:00:00.000Z");
  });

  it("moves a one-time wall time inside a spring-forward gap forward by the gap", () => {
    const read = readWhen("2026-03-29T02:30", { now, timeZone: "Europe/Paris" });
    expect(read.ok && formatLocal(read.when.at!, "Europe/Paris")).toBe("Sun 29 Mar 03:30 Europe/Paris");
  });
});

describe("recurring expressions", () => {
  it.each([
    ["every monday 8:00 standup", "0 8 * * 1", "every Monday at 08:00", "standup"],
    ["every weekday at 7:30am run", "30 7 * * 1-5", "every weekday at 07:30", "run"],
    ["every mon, wed and fri 9:30 gym", "30 9 * * 1,3,5", "every Monday, Wednesday, Friday at 09:30", "gym"],
    ["every day 8 am pills", "0 8 * * *", "every day at 08:00", "pills"],
    ["every friday at noon lunch", "0 12 * * 5", "every Friday at 12:00", "lunch"],
    ["every weekday stand up", "0 9 * * 1-5", "every weekday at 09:00", "stand up"],
    ["every 2 hours drink water", "0 */2 * * *", "every 2 hours", "drink water"],
    ["every 15 minutes stretch", "*/15 * * * *", "every 15 minutes", "stretch"],
    ["cron 0 8 * * 1-5 report", "0 8 * * 1-5", "cron 0 8 * * 1-5", "report"],
    ["毎週月曜8時 会議", "0 8 * * 1", "every Monday at 08:00", "会議"],
    ["平日7時半 起きる", "30 7 * * 1-5", "every weekday at 07:30", "起きる"],
    ["毎日午後6時に薬", "0 18 * * *", "every day at 18:00", "薬"],
  ])("%s", (text, cron, words, rest) => {
    expect(reminder(text)).toEqual({ kind: "recurring", at: undefined, cron, words, rest });
  });

  it("takes a bare cron pattern only as the whole of `when`", () => {
    expect(readWhen("0 8 * * 1-5", { now, timeZone: "UTC" })).toMatchObject({ ok: true, when: { kind: "recurring", cron: "0 8 * * 1-5" } });
  });
});

describe("what it refuses, and how it says so", () => {
  it.each([
    ["call the bank", /no time found in "call the bank"; say when, e\.g\./],
    ["every fooday at 9 x", /"every fooday": say every day, every weekday/],
    ["every 90 minutes x", /every N minutes: N from 1 to 59/],
    ["cron 61 * * * * x", /cron pattern "61 \* \* \* \*"/],
    ["", /say when/],
  ])("%s", (text, message) => {
    expect(reminder(text)).toEqual({ error: expect.stringMatching(message) });
  });

  it("refuses words left over in a `when` that must be only a time", () => {
    expect(readWhen("tomorrow 9am and some", { now, timeZone: "UTC" })).toEqual({ ok: false, message: expect.stringMatching(/but not "and some"/) });
  });
});

it("says durations plainly", () => {
  expect([45_000, 20 * 60_000, 2 * 3_600_000, 2 * 3_600_000 + 5 * 60_000, 3 * 86_400_000].map(formatDuration)).toEqual([
    "45 s",
    "20 min",
    "2 h",
    "2 h 5 min",
    "3 days",
  ]);
});
