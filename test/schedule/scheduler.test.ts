/**
 * The scheduling logic with a clock the test moves: one-time, delayed and recurring schedules, DST in
 * two zones, the clock jumping forward (sleep) and back, the agent off at the due time (catch-up
 * late or skip), and at most one run per occurrence across crashes and racing schedulers.
 */
import { describe, expect, it } from "vitest";
import { Scheduler } from "../../node-agent/src/schedule/scheduler.js";
import { ScheduleStore } from "../../node-agent/src/schedule/store.js";
import { harness, owner, recordingCarrier, runNext, wall } from "./support.js";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("one-time schedules", () => {
  it("runs a reminder once at its time, on time, and then is done", async () => {
    const h = harness("2026-11-29T11:00:00Z");
    const { schedule, understood } = h.service.create(owner, { action: "reminder", when: "tomorrow 9am", text: "call the bank" });
    expect(understood).toBe("call the bank: Mon 30 Nov 09:00 Europe/Paris");
    expect(schedule).toMatchObject({ kind: "once", state: "active", nextAt: Date.parse("2026-11-30T08:00:00Z"), user: "owner" });

    h.clock.set(Date.parse("2026-11-30T07:59:59Z"));
    await h.tick();
    expect(h.runs).toHaveLength(0);
    h.clock.set(Date.parse("2026-11-30T08:00:00Z"));
    await h.tick();
    await h.tick();
    expect(h.runs.map((r) => [r.run.id, r.lateMs, r.skip, r.lateText])).toEqual([[`${schedule.id}@${schedule.nextAt}`, 0, false, null]]);
    expect(h.store.get(schedule.id)).toMatchObject({ state: "done", next_at: null });
    expect(h.store.runs("owner", 10)).toMatchObject([{ state: "delivered", due_at: schedule.nextAt }]);
  });

  it("runs a delayed reminder after the delay, counted from when it was made", async () => {
    const h = harness("2026-11-29T11:00:00Z");
    const { schedule, understood } = h.service.create(owner, { action: "reminder", when: "in 20 minutes", text: "tea" });
    expect(schedule.nextAt).toBe(Date.parse("2026-11-29T11:20:00Z"));
    expect(understood).toBe("tea: Sun 29 Nov 12:20 Europe/Paris");
    expect(await runNext(h, 2)).toEqual([Date.parse("2026-11-29T11:20:00Z")]);
  });

  it("refuses a time that has passed, an unknown zone, and words it cannot read, saying why", () => {
    const h = harness("2026-11-29T11:00:00Z");
    expect(() => h.service.create(owner, { action: "reminder", when: "2026-11-29T08:00", text: "x" })).toThrow(/Sun 29 Nov 08:00 Europe\/Paris has passed/);
    expect(() => h.service.create(owner, { action: "reminder", when: "in 1 hour", text: "x", timeZone: "Mars/Olympus" })).toThrow(/not a known IANA/);
    expect(() => h.service.create(owner, { action: "reminder", when: "when pigs fly", text: "x" })).toThrow(/no time found/);
    expect(() => h.service.create(owner, { action: "reminder", when: "in 1 hour", text: "  " })).toThrow(/say what/);
    expect(h.store.list(null, true)).toEqual([]);
  });
});

describe("recurring schedules", () => {
  it("runs every weekday at 08:00 in its zone, leaving the weekend out", async () => {
    const h = harness("2026-12-03T12:00:00Z"); // a Thursday
    h.service.create(owner, { action: "reminder", when: "every weekday at 8:00", text: "stand-up" });
    const at = await runNext(h, 4);
    expect(at.map((t) => wall(t, "Europe/Paris"))).toEqual(["2026-12-04 08:00", "2026-12-07 08:00", "2026-12-08 08:00", "2026-12-09 08:00"]);
    expect(h.store.get(h.runs[0]!.schedule.id)).toMatchObject({ state: "active" });
  });

  for (const [zone, gapDay] of [
    ["Europe/Paris", "2026-03-29"],
    ["America/New_York", "2026-03-08"],
  ] as const) {
    it(`runs a 02:30 job once on the spring-forward day in ${zone}, at 03:00 (the first minute after the gap)`, async () => {
      const h = harness(`${gapDay}T00:00:00Z`, { timeZone: zone });
      h.clock.set(Date.parse(`${gapDay}T00:00:00Z`) - 2 * 86_400_000);
      h.service.create(owner, { action: "reminder", when: "cron 30 2 * * *", text: "backup" });
      const at = (await runNext(h, 4)).map((t) => wall(t, zone));
      const day = (offset: number) => new Date(Date.parse(gapDay) + offset * 86_400_000).toISOString().slice(0, 10);
      expect(at).toEqual([`${day(-2)} 02:30`, `${day(-1)} 02:30`, `${gapDay} 03:00`, `${day(1)} 02:30`]);
    });
  }

  for (const [zone, fallDay, pattern, local] of [
    ["Europe/Paris", "2026-10-25", "30 2 * * *", "02:30"],
    ["America/New_York", "2026-11-01", "30 1 * * *", "01:30"],
  ] as const) {
    it(`runs a ${local} job once, not twice, on the fall-back day in ${zone}`, async () => {
      const h = harness(`${fallDay}T00:00:00Z`, { timeZone: zone });
      h.clock.set(Date.parse(`${fallDay}T00:00:00Z`) - 86_400_000);
      h.service.create(owner, { action: "reminder", when: `cron ${pattern}`, text: "backup" });
      const at = await runNext(h, 3);
      expect(at.map((t) => wall(t, zone))).toEqual([
        `${new Date(Date.parse(fallDay) - 86_400_000).toISOString().slice(0, 10)} ${local}`,
        `${fallDay} ${local}`,
        `${new Date(Date.parse(fallDay) + 86_400_000).toISOString().slice(0, 10)} ${local}`,
      ]);
      // The hour that repeats: 24 or 25 hours apart, and the second 01:30 (or 02:30) never ran.
      expect((at[2]! - at[1]!) / HOUR).toBe(25);
    });
  }
});

describe("missed times", () => {
  it("notices a clock that jumped forward (the PC slept) and runs what came due once, saying how late", async () => {
    const h = harness("2026-11-30T07:50:00Z");
    h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "call the bank" });
    await h.tick();
    h.clock.jump(2 * HOUR + 10 * MIN); // 11:00 Paris: asleep across 09:00
    await h.tick();
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0]).toMatchObject({ lateMs: 2 * HOUR, skip: false, lateText: "late by 2 h: due Mon 30 Nov 09:00 Europe/Paris" });
    expect(h.lines.join("")).toMatch(/the clock jumped forward .*by="2 h 10 min"/);
  });

  it("runs a recurring schedule once after many missed times, never in a burst, and goes on from now", async () => {
    const h = harness("2026-11-30T08:00:00Z");
    const { schedule } = h.service.create(owner, { action: "reminder", when: "every hour", text: "stretch" });
    h.clock.jump(5 * HOUR + 30 * MIN);
    await h.tick();
    await h.tick();
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0]!.lateMs).toBe(4 * HOUR + 30 * MIN);
    expect(h.store.get(schedule.id)!.next_at).toBe(Date.parse("2026-11-30T14:00:00Z"));
  });

  it("does not run an occurrence again when the clock goes back over it", async () => {
    const h = harness("2026-11-30T07:59:00Z");
    const { schedule } = h.service.create(owner, { action: "reminder", when: "every day at 9:00", text: "pills" });
    const once = h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "once" }).schedule;
    h.clock.set(Date.parse("2026-11-30T08:00:00Z"));
    await h.tick();
    expect(h.runs).toHaveLength(2);
    h.clock.jump(-30 * MIN);
    await h.tick();
    h.clock.advance(31 * MIN);
    await h.tick();
    expect(h.runs).toHaveLength(2);
    expect(h.lines.join("")).toMatch(/the clock went back/);
    expect(h.store.get(schedule.id)!.next_at).toBe(Date.parse("2026-12-01T08:00:00Z"));
    expect(h.store.get(once.id)!.state).toBe("done");
  });

  it("applies each schedule's catch-up policy when the agent was off at the due time", async () => {
    const h = harness("2026-11-30T07:00:00Z");
    const late = h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "late one" }).schedule;
    const skip = h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "skipped one", catchUp: "skip" }).schedule;
    // The agent is off from 08:00 to 10:00 (Paris): a new scheduler over the same database.
    const back = Date.parse("2026-11-30T10:00:00Z");
    h.clock.set(back);
    const { carrier, runs } = recordingCarrier();
    const restarted = new Scheduler(new ScheduleStore(h.db, h.clock.now), carrier, { debug() {}, info() {}, warn() {}, error() {} }, h.clock);
    restarted.start();
    await restarted.idle();
    const byText = Object.fromEntries(runs.map((r) => [r.schedule.text, r]));
    expect(byText["late one"]).toMatchObject({ skip: false, lateText: "late by 2 h: due Mon 30 Nov 09:00 Europe/Paris" });
    expect(byText["skipped one"]).toMatchObject({ skip: true });
    expect(h.store.runs(null, 10).map((r) => [r.schedule, r.state])).toEqual(
      expect.arrayContaining([
        [late.id, "delivered"],
        [skip.id, "skipped"],
      ]),
    );
  });

  it("runs on time within the grace minute, without calling it late", async () => {
    const h = harness("2026-11-30T07:00:00Z");
    h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "x" });
    h.clock.set(Date.parse("2026-11-30T08:00:45Z"));
    await h.tick();
    expect(h.runs[0]).toMatchObject({ lateMs: 45_000, lateText: null, skip: false });
  });
});

describe("at most once", () => {
  it("does not run again a run that was under way when the agent crashed: it is marked interrupted", async () => {
    const stuck = recordingCarrier("hang");
    const h = harness("2026-11-30T07:59:00Z", { carrier: stuck.carrier });
    const { schedule } = h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "x" });
    h.clock.set(Date.parse("2026-11-30T08:00:00Z"));
    await h.scheduler.tick();
    expect(stuck.runs).toHaveLength(1);
    expect(h.store.runs(null, 5)).toMatchObject([{ state: "started" }]);
    // Crash: the process is gone; a new scheduler starts over the same file.
    const after = recordingCarrier();
    const restarted = new Scheduler(new ScheduleStore(h.db, h.clock.now), after.carrier, { debug() {}, info() {}, warn() {}, error() {} }, h.clock);
    restarted.start();
    await restarted.idle();
    expect(after.runs).toHaveLength(0);
    expect(h.store.runs(null, 5)).toMatchObject([{ id: `${schedule.id}@${schedule.nextAt}`, state: "interrupted" }]);
    expect(h.store.get(schedule.id)!.state).toBe("done");
  });

  it("lets only one of two schedulers over the same database claim an occurrence", async () => {
    const h = harness("2026-11-30T07:59:00Z");
    h.service.create(owner, { action: "reminder", when: "every day at 9:00", text: "x" });
    const other = recordingCarrier();
    const second = new Scheduler(new ScheduleStore(h.db, h.clock.now), other.carrier, { debug() {}, info() {}, warn() {}, error() {} }, h.clock);
    h.clock.set(Date.parse("2026-11-30T08:00:00Z"));
    await Promise.all([h.tick(), second.tick()]);
    await second.idle();
    expect(h.runs.length + other.runs.length).toBe(1);
  });
});

describe("faults", () => {
  it("starts the other due schedules when one cannot be started, and says which", async () => {
    const h = harness("2026-11-30T07:59:00Z");
    const broken = h.service.create(owner, { action: "reminder", when: "every day at 9:00", text: "broken" }).schedule;
    h.service.create(owner, { action: "reminder", when: "2026-11-30T09:00", text: "fine" });
    // A row damaged on disk: its pattern can no longer be read.
    h.db.prepare("UPDATE schedules SET cron = 'not a pattern' WHERE id = ?").run(broken.id);
    h.clock.set(Date.parse("2026-11-30T08:00:00Z"));
    await h.tick();
    expect(h.runs.map((r) => r.schedule.text)).toEqual(["fine"]);
    expect(h.lines.join("")).toMatch(new RegExp(`a due schedule could not be started schedule="${broken.id}"`));
  });
});

describe("limits", () => {
  const guest = { device: "dev-guest", role: "guest" as const, user: "dev-guest", via: "relay" as const };

  it("keeps a guest to ten active schedules and to at most one run an hour; owners are not held to either", () => {
    const h = harness("2026-11-30T07:00:00Z");
    expect(() => h.service.create(guest, { action: "reminder", when: "every 30 minutes", text: "x" })).toThrow(/at most once an hour/);
    expect(h.service.create(guest, { action: "reminder", when: "every hour", text: "x" }).schedule.kind).toBe("recurring");
    for (let i = 1; i < 10; i++) h.service.create(guest, { action: "reminder", when: `in ${i} hours`, text: `r${i}` });
    expect(() => h.service.create(guest, { action: "reminder", when: "in 11 hours", text: "one more" })).toThrow(/10 active schedules/);
    expect(h.service.create(owner, { action: "reminder", when: "every 5 minutes", text: "x" }).schedule.cron).toBe("*/5 * * * *");
  });

  it("shows and cancels only the requester's own schedules; another user's is not found", () => {
    const h = harness("2026-11-30T07:00:00Z");
    const mine = h.service.create(guest, { action: "reminder", when: "in 1 hour", text: "guest's" }).schedule;
    h.service.create(owner, { action: "reminder", when: "in 1 hour", text: "owner's" });
    expect(h.service.list(guest, { runs: 10, finished: true }).schedules.map((s) => s.text)).toEqual(["guest's"]);
    expect(() => h.service.cancel(owner, mine.id)).toThrow(/no schedule/);
    expect(h.service.cancel(guest, mine.id)).toMatchObject({ state: "cancelled", nextAt: null });
    expect(() => h.service.cancel(guest, mine.id)).toThrow(/cancelled already/);
  });
});
