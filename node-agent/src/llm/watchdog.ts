/**
 * The signal each SDK call runs under: it aborts when the caller cancels, and when the server goes
 * quiet for `idleMs`. The SDKs' own `timeout` only covers the wait for response headers (their
 * fetchWithTimeout clears it once headers arrive), so a stream that stalls halfway would otherwise
 * hang until Node's five-minute body timeout.
 */
export interface Watchdog {
  readonly signal: AbortSignal;
  /** True once the idle timer, not the caller, aborted the call. */
  readonly stalled: boolean;
  /** Call on every chunk: the server is alive. */
  kick(): void;
  dispose(): void;
}

export function watchdog(caller: AbortSignal, idleMs: number): Watchdog {
  const controller = new AbortController();
  let stalled = false;
  const onAbort = () => controller.abort(caller.reason);
  caller.addEventListener("abort", onAbort, { once: true });
  if (caller.aborted) onAbort();
  const fire = () => {
    stalled = true;
    controller.abort(new Error("stalled"));
  };
  let timer = setTimeout(fire, idleMs);
  return {
    signal: controller.signal,
    get stalled() {
      return stalled;
    },
    kick() {
      clearTimeout(timer);
      timer = setTimeout(fire, idleMs);
    },
    dispose() {
      clearTimeout(timer);
      caller.removeEventListener("abort", onAbort);
    },
  };
}
