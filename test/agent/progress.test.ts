/** The terminal client's transfer progress (node-agent/src/remote/progress.ts), on a clock the test moves. */
import { describe, expect, it } from "vitest";
import { ProgressBar } from "../../node-agent/src/remote/progress.js";

const MIB = 1024 * 1024;

function sink() {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => (writes.push(text), true) } as unknown as NodeJS.WritableStream };
}

describe("transfer progress", () => {
  it("redraws one line on a terminal with percent, MiB, MiB/s and the time left, at most ten times a second", () => {
    const { writes, out } = sink();
    let now = 0;
    const bar = new ProgressBar("video.mp4", { out, tty: true, now: () => now });
    bar.update(0, 100 * MIB);
    now = 2000;
    bar.update(20 * MIB, 100 * MIB);
    now = 2050;
    bar.update(21 * MIB, 100 * MIB); // too soon after the last one: not drawn
    now = 4000;
    bar.update(40 * MIB, 100 * MIB);
    bar.end();
    expect(writes).toEqual([
      "\r\x1b[2Kvideo.mp4   0%  0.0/100.0 MiB",
      "\r\x1b[2Kvideo.mp4  20%  20.0/100.0 MiB  10.0 MiB/s  ETA 0:08",
      "\r\x1b[2Kvideo.mp4  40%  40.0/100.0 MiB  10.0 MiB/s  ETA 0:06",
      "\n",
    ]);
  });

  it("writes a plain line at each tenth of the way when stderr is not a terminal", () => {
    const { writes, out } = sink();
    let now = 0;
    const bar = new ProgressBar("report.pdf", { out, tty: false, now: () => now });
    for (let done = 0; done <= 10 * MIB; done += MIB / 4) {
      now += 100;
      bar.update(done, 10 * MIB);
    }
    bar.end();
    expect(writes).toHaveLength(11);
    expect(writes.every((line) => line.endsWith("\n") && !line.includes("\r"))).toBe(true);
    expect(writes.at(-1)).toMatch(/^report\.pdf 100% {2}10\.0\/10\.0 MiB {2}\d+\.\d MiB\/s\n$/);
  });
});
