/** Schedules paused by a lockdown: nothing due is claimed while paused; once it ends, each follows its catch-up policy. */
import { describe, expect, it } from "vitest";
import { createLogger } from "../../node-agent/src/log.js";
import { Scheduler } from "../../node-agent/src/schedule/scheduler.js";
import { harness, owner, recordingCarrier } from "./support.js";

describe("a paused scheduler", () => {
  it("claims nothing while paused, then runs a missed reminder late and skips a missed recurring job", async () => {
    const h = harness("2026-11-29T11:00:00Z");
    h.service.create(owner, { action: "reminder", when: "in 5 minutes", text: "call back" });
    h.service.create(owner, { action: "job", when: "every day at 12:10", text: "daily summary" });
    let paused = true;
    const recorded = recordingCarrier();
    const scheduler = new Scheduler(
      h.store,
      recorded.carrier,
      createLogger("error", () => undefined),
      h.clock,
      undefined,
      () => paused,
    );
    h.clock.advance(20 * 60_000);

    await scheduler.tick();
    await scheduler.idle();
    expect(recorded.runs).toEqual([]);
    expect(h.store.runs(null, 10)).toEqual([]);

    paused = false;
    await scheduler.tick();
    await scheduler.idle();
    const byText = Object.fromEntries(recorded.runs.map((due) => [due.schedule.text, due]));
    expect(byText["call back"]).toMatchObject({ skip: false, lateText: expect.stringMatching(/^late by 15 min/) });
    expect(byText["daily summary"]).toMatchObject({ skip: true });
  });
});
