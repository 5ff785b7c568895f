import { describe, expect, it } from "vitest";
import { timeNowTool } from "../../node-agent/src/tools/index.js";
import { call, toolContext } from "./context.js";

const INSTANT = Date.UTC(2026, 0, 15, 23, 30, 5); // 2026-01-15T23:30:05Z

describe("time.now", () => {
  it("returns the instant as UTC ISO, unix milliseconds and the PC's own time zone", async () => {
    const result = await call(
      timeNowTool(() => INSTANT),
      {},
      toolContext(),
    );
    expect(result.iso).toBe("2026-01-15T23:30:05.000Z");
    expect(result.unixMs).toBe(INSTANT);
    expect(result.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it("gives the local wall-clock time with its offset in a requested zone", async () => {
    const tokyo = await call(
      timeNowTool(() => INSTANT),
      { timeZone: "Asia/Tokyo" },
      toolContext(),
    );
    expect(tokyo).toMatchObject({ timeZone: "Asia/Tokyo", local: "2026-01-16T08:30:05+09:00", offset: "+09:00" });
    const kolkata = await call(
      timeNowTool(() => INSTANT),
      { timeZone: "Asia/Kolkata" },
      toolContext(),
    );
    expect(kolkata.local).toBe("2026-01-16T05:00:05+05:30");
  });

  it("writes UTC's offset as +00:00", async () => {
    const utc = await call(
      timeNowTool(() => INSTANT),
      { timeZone: "UTC" },
      toolContext(),
    );
    expect(utc.local).toBe("2026-01-15T23:30:05+00:00");
  });

  it("refuses a time zone Intl does not know", async () => {
    await expect(call(timeNowTool(), { timeZone: "Mars/Olympus_Mons" }, toolContext())).rejects.toThrow(/time zone/);
    await expect(call(timeNowTool(), { timeZone: "x".repeat(65) }, toolContext())).rejects.toThrow();
  });

  it("is a LOW tool a guest may see", () => {
    expect(timeNowTool()).toMatchObject({ name: "time.now", risk: "LOW", guestVisible: true });
  });
});
