/**
 * The shared reconnect loop with scripted attempts and an injected sleep (or vitest's fake timers):
 * every test waits on the loop's own state changes, never on the clock.
 */
import { type AttemptOutcome, type ReconnectOptions, type ReconnectState, Reconnector } from "@ora/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";

interface Attempt {
  signal: AbortSignal;
  end: (outcome: AttemptOutcome) => void;
  fail: (error: Error) => void;
}

interface Sleep {
  ms: number;
  signal: AbortSignal;
  end: () => void;
}

const NOW = 1_000_000;
// The test's own deadlines stay on real timers when a test fakes them for the loop.
const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = globalThis;

/**
 * A loop whose attempts and sleeps the test ends by hand, with every state it reports. Attempts end
 * themselves when stop() aborts them, as the contract asks, unless `endOnAbort` is false.
 */
function scripted(options: Partial<ReconnectOptions> = {}, endOnAbort = true) {
  const states: ReconnectState[] = [];
  const attempts: Attempt[] = [];
  const sleeps: Sleep[] = [];
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of waiters) waiter();
  };
  const loop = new Reconnector({
    attempt: (signal) =>
      new Promise((resolve, reject) => {
        attempts.push({ signal, end: resolve, fail: reject });
        if (endOnAbort) signal.addEventListener("abort", () => resolve({ connected: true, reason: "closed 1001" }));
        changed();
      }),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        sleeps.push({ ms, signal, end: resolve });
        changed();
      }),
    onState: (state) => {
      states.push(state);
      changed();
    },
    backoff: { baseMs: 100, capMs: 1000 },
    random: () => 0.5,
    now: () => NOW,
    ...options,
  });
  /** Resolves once `count` states of this status were reported; the last of them. */
  const reached = <S extends ReconnectState["status"]>(status: S, count = 1) =>
    new Promise<Extract<ReconnectState, { status: S }>>((resolve, reject) => {
      const timer = realSetTimeout(() => reject(new Error(`no ${count}× ${status}; states: ${JSON.stringify(states)}`)), 2000);
      const check = () => {
        const found = states.filter((s): s is Extract<ReconnectState, { status: S }> => s.status === status);
        if (found.length < count) return;
        realClearTimeout(timer);
        waiters.delete(check);
        resolve(found[count - 1]!);
      };
      waiters.add(check);
      check();
    });
  return { loop, states, attempts, sleeps, reached };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("reconnect loop", () => {
  it("waits full-jitter delays that grow while attempts fail, and starts over after a connection", async () => {
    const { loop, attempts, sleeps, reached, states } = scripted();
    void loop.run();
    for (let i = 1; i <= 3; i++) {
      await reached("connecting", i);
      attempts[i - 1]!.end({ connected: false, reason: `refused ${i}` });
      await reached("waiting", i);
      sleeps[i - 1]!.end();
    }
    await reached("connecting", 4);
    attempts[3]!.end({ connected: true, reason: "closed 1006" });
    await reached("waiting", 4);
    await loop.stop();

    // random() = 0.5 of min(cap 1000, base 100 · 2^failures)
    expect(sleeps.map((s) => s.ms)).toEqual([100, 200, 400, 50]);
    expect(states.filter((s) => s.status === "connecting").map((s) => s.attempt)).toEqual([0, 1, 2, 3]);
    expect(states.filter((s) => s.status === "waiting")).toEqual([
      { status: "waiting", attempt: 1, retryInMs: 100, retryAt: NOW + 100, reason: "refused 1" },
      { status: "waiting", attempt: 2, retryInMs: 200, retryAt: NOW + 200, reason: "refused 2" },
      { status: "waiting", attempt: 3, retryInMs: 400, retryAt: NOW + 400, reason: "refused 3" },
      { status: "waiting", attempt: 0, retryInMs: 50, retryAt: NOW + 50, reason: "closed 1006" },
    ]);
  });

  it("never waits longer than the cap, however many attempts failed", async () => {
    const { loop, attempts, sleeps, reached } = scripted({ random: () => 0.999 });
    void loop.run();
    for (let i = 1; i <= 12; i++) {
      await reached("connecting", i);
      attempts[i - 1]!.end({ connected: false, reason: "down" });
      await reached("waiting", i);
      sleeps[i - 1]!.end();
    }
    await loop.stop();
    expect(Math.max(...sleeps.map((s) => s.ms))).toBeLessThan(1000);
    expect(sleeps.at(-1)!.ms).toBe(999);
  });

  it("gives up for good when an attempt says retrying cannot help", async () => {
    const { loop, attempts, sleeps, reached } = scripted();
    const run = loop.run();
    await reached("connecting");
    attempts[0]!.end({ connected: false, reason: "the relay rejected this credential", next: "stop" });
    expect(await run).toEqual({ status: "stopped", reason: "the relay rejected this credential", fatal: true });
    expect(loop.state).toEqual(await run);
    expect(attempts).toHaveLength(1);
    expect(sleeps).toHaveLength(0);
  });

  it("comes back at once, without waiting, when an attempt asks for it", async () => {
    const { loop, attempts, sleeps, reached, states } = scripted();
    void loop.run();
    await reached("connecting");
    attempts[0]!.end({ connected: true, reason: "asked to reconnect", next: "now" });
    await reached("connecting", 2);
    expect(states.map((s) => s.status)).toEqual(["connecting", "connecting"]);
    expect(sleeps).toHaveLength(0);
    await loop.stop();
  });

  it("counts an attempt that throws as one that did not connect", async () => {
    const { loop, attempts, reached } = scripted();
    void loop.run();
    await reached("connecting");
    attempts[0]!.fail(new Error("socket exploded"));
    expect(await reached("waiting")).toMatchObject({ attempt: 1, reason: "socket exploded" });
    await loop.stop();
  });

  it("cuts a wait short on retryNow(), and ignores it outside a wait", async () => {
    const { loop, attempts, sleeps, reached } = scripted();
    void loop.run();
    await reached("connecting");
    expect(loop.retryNow()).toBe(false);
    attempts[0]!.end({ connected: false, reason: "down" });
    await reached("waiting");
    expect(loop.retryNow()).toBe(true);
    await reached("connecting", 2);
    // The sleep was never ended by the test: retryNow() did, and told it through its signal.
    expect(sleeps[0]!.signal.aborted).toBe(true);
    expect(attempts).toHaveLength(2);
    await loop.stop();
  });

  it("stops during a wait at once, without another attempt", async () => {
    const { loop, attempts, sleeps, reached } = scripted();
    const run = loop.run();
    await reached("connecting");
    attempts[0]!.end({ connected: false, reason: "down" });
    await reached("waiting");
    expect(await loop.stop("shutting down")).toEqual({ status: "stopped", reason: "shutting down", fatal: false });
    expect(await run).toEqual({ status: "stopped", reason: "shutting down", fatal: false });
    expect(sleeps[0]!.signal.aborted).toBe(true);
    expect(attempts).toHaveLength(1);
    expect(loop.retryNow()).toBe(false);
  });

  it("stops during an attempt by aborting it, and resolves once that attempt has ended", async () => {
    const { loop, attempts, reached, states } = scripted({}, false);
    const run = loop.run();
    await reached("connecting");
    let stopped = false;
    const stop = loop.stop().then((state) => {
      stopped = true;
      return state;
    });
    expect(attempts[0]!.signal.aborted).toBe(true);
    await Promise.resolve();
    expect(stopped).toBe(false);
    // Whatever the aborted attempt reports, the loop is over: no wait, no retry.
    attempts[0]!.end({ connected: true, reason: "closed 1001", next: "stop" });
    expect(await stop).toEqual({ status: "stopped", reason: "stopped", fatal: false });
    expect(await run).toEqual(await stop);
    expect(states.map((s) => s.status)).toEqual(["connecting", "stopped"]);
  });

  it("never attempts when stopped before it runs", async () => {
    const { loop, attempts, states } = scripted();
    await loop.stop();
    expect(await loop.run()).toEqual({ status: "stopped", reason: "stopped", fatal: false });
    expect(attempts).toHaveLength(0);
    expect(states).toEqual([{ status: "stopped", reason: "stopped", fatal: false }]);
  });

  it("waits on a timer by default, and clears that timer when stopped", async () => {
    vi.useFakeTimers({ now: NOW });
    const { loop, attempts, reached } = scripted({ sleep: undefined, now: undefined });
    void loop.run();
    await reached("connecting");
    attempts[0]!.end({ connected: false, reason: "down" });
    expect(await reached("waiting")).toMatchObject({ retryInMs: 100, retryAt: NOW + 100 });
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(attempts).toHaveLength(1);
    vi.advanceTimersByTime(1);
    await reached("connecting", 2);
    attempts[1]!.end({ connected: false, reason: "down" });
    await reached("waiting", 2);
    expect(vi.getTimerCount()).toBe(1);
    await loop.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
