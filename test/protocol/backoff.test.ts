import { fullJitter } from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("full-jitter backoff", () => {
  it("draws every delay from [0, min(cap, base·2^attempt))", () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, baseMs, capMs, r) => {
          const delay = fullJitter(attempt, { baseMs, capMs }, () => r);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.max(1, Math.min(capMs, baseMs * 2 ** attempt)));
        },
      ),
    );
  });

  it("spreads retries: the same attempt gives different delays", () => {
    const delays = new Set(Array.from({ length: 50 }, () => fullJitter(5)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
