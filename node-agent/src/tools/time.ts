/** time.now: what time it is, on this PC or in a named IANA time zone. */
import { z } from "zod";
import type { Tool } from "../safety/tool.js";

/** Intl is the authority on zone names: it throws a RangeError for one it does not know. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const Args = z.object({
  timeZone: z.string().min(1).max(64).refine(isTimeZone, "not a known IANA time zone (example: Europe/Paris)").optional(),
});

/** The local wall-clock time in `timeZone` as ISO 8601 with its UTC offset, e.g. 2026-11-21T12:38:47+01:00. */
export function localIso(unixMs: number, timeZone: string): { local: string; offset: string } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "longOffset",
  }).formatToParts(unixMs);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  // "GMT+09:00", or plain "GMT" for UTC itself.
  const offset = part("timeZoneName").replace(/^GMT/, "") || "+00:00";
  return { local: `${part("year")}-${part("month")}-${part("day")}T${part("hour")}:${part("minute")}:${part("second")}${offset}`, offset };
}

/** The clock is a parameter so tests can pin the instant. */
export function timeNowTool(clock: () => number = Date.now): Tool<z.infer<typeof Args>> {
  return {
    name: "time.now",
    description: "The current date and time: UTC ISO 8601, local time with offset in the PC's time zone (or the one asked for), and unix milliseconds.",
    args: Args,
    risk: "LOW",
    guestVisible: true,
    run({ timeZone }) {
      const unixMs = clock();
      const zone = timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
      return { iso: new Date(unixMs).toISOString(), timeZone: zone, ...localIso(unixMs, zone), unixMs };
    },
  };
}
