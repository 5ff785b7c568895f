/**
 * The one reconnect loop, shared by the agent's relay connector and the web client: attempt a
 * connection, and when it ends wait a full-jitter delay (backoff.ts) and attempt again, until stopped
 * or told that retrying cannot help. It knows nothing of sockets: an attempt is a function that
 * connects, stays connected as long as it can, and resolves with how it ended. It needs only
 * setTimeout and AbortController, so it runs in browsers, Node and workerd; tests inject `sleep`.
 *
 * The backoff exponent is the number of consecutive attempts that never got connected: a connection
 * that worked and then dropped is retried within `baseMs`, a relay that stays down is tried less and
 * less often, up to `capMs` apart.
 */
import { type BackoffOptions, DEFAULT_BACKOFF, fullJitter } from "./backoff.js";

export { type BackoffOptions, DEFAULT_BACKOFF, fullJitter };

/** How one attempt ended. */
export interface AttemptOutcome {
  /** Whether it got as far as a working connection: the backoff starts over after one. */
  connected: boolean;
  /** Why it ended, in words for logs and status lines. */
  reason: string;
  /**
   * What next: "backoff" (the default) waits a full-jitter delay; "now" attempts again at once (the
   * other end asked us to come back, e.g. to pick up a rotated credential); "stop" gives up, because
   * retrying cannot help (a rejected credential, a connection replaced by a newer one).
   */
  next?: "backoff" | "now" | "stop";
}

export type ReconnectState =
  /** `attempt`: how many attempts in a row have failed before this one. */
  | { status: "connecting"; attempt: number }
  /** `retryAt`: when the next attempt starts, on the clock of `now` (Date.now by default). */
  | { status: "waiting"; attempt: number; retryInMs: number; retryAt: number; reason: string }
  /** `fatal`: an attempt said "stop"; otherwise stop() was called. */
  | { status: "stopped"; reason: string; fatal: boolean };

export type StoppedState = Extract<ReconnectState, { status: "stopped" }>;

export interface ReconnectOptions {
  /**
   * One attempt: connect, stay connected while the connection lasts, resolve with how it ended. When
   * `signal` aborts (stop()), end the connection and resolve soon: stop() waits for it. A rejection
   * counts as an attempt that did not connect.
   */
  attempt: (signal: AbortSignal) => Promise<AttemptOutcome>;
  backoff?: BackoffOptions;
  onState?: (state: ReconnectState) => void;
  /** Resolves after `ms`, or early when `signal` aborts (stop() and retryNow() cut a wait short). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export class Reconnector {
  private readonly stopping = new AbortController();
  private stopReason = "stopped";
  /** Ends the current wait; set only while waiting. */
  private wake: (() => void) | undefined;
  private done: Promise<StoppedState> | undefined;
  state: ReconnectState = { status: "connecting", attempt: 0 };

  constructor(private readonly options: ReconnectOptions) {}

  /** Runs until stop() or an attempt that says "stop"; resolves with the final state. Idempotent. */
  run(): Promise<StoppedState> {
    this.done ??= this.loop();
    return this.done;
  }

  /** Ends the loop: aborts the attempt in progress or cuts the wait short, then resolves like run(). */
  stop(reason = "stopped"): Promise<StoppedState> {
    if (!this.stopping.signal.aborted) {
      this.stopReason = reason;
      this.stopping.abort();
      this.wake?.();
    }
    this.done ??= Promise.resolve(this.set({ status: "stopped", reason, fatal: false }));
    return this.done;
  }

  /** Starts the next attempt now instead of at the end of the wait; false when not waiting. */
  retryNow(): boolean {
    if (!this.wake) return false;
    this.wake();
    return true;
  }

  private async loop(): Promise<StoppedState> {
    const signal = this.stopping.signal;
    let failures = 0;
    while (!signal.aborted) {
      this.set({ status: "connecting", attempt: failures });
      const outcome = await this.options
        .attempt(signal)
        .catch((error: unknown): AttemptOutcome => ({ connected: false, reason: error instanceof Error ? error.message : String(error) }));
      if (signal.aborted) break;
      if (outcome.next === "stop") return this.set({ status: "stopped", reason: outcome.reason, fatal: true });
      failures = outcome.connected ? 0 : failures + 1;
      if (outcome.next !== "now") await this.wait(failures, outcome.reason);
    }
    return this.set({ status: "stopped", reason: this.stopReason, fatal: false });
  }

  private async wait(failures: number, reason: string): Promise<void> {
    const delay = fullJitter(failures, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
    const cut = new AbortController();
    const woken = new Promise<void>((resolve) => {
      this.wake = () => {
        cut.abort();
        resolve();
      };
    });
    this.set({ status: "waiting", attempt: failures, retryInMs: delay, retryAt: (this.options.now ?? Date.now)() + delay, reason });
    try {
      // A sleep that rejects when cut short (node:timers/promises does) has still ended the wait.
      const slept = (this.options.sleep ?? sleep)(delay, cut.signal).catch(() => undefined);
      await Promise.race([slept, woken]);
    } finally {
      this.wake = undefined;
      cut.abort();
    }
  }

  private set<S extends ReconnectState>(state: S): S {
    this.state = state;
    this.options.onState?.(state);
    return state;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
