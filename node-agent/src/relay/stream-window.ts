/**
 * One stream's credit (docs/PROTOCOL.md, flow control): chunks go out in the order they were
 * emitted, each once the payload bytes already sent are below what the client granted, so a stream
 * runs as fast as its reader and never further ahead than its window (plus the chunk under way).
 * Without a window (a client or relay that does not grant credit) chunks go at once.
 */
export class StreamWindow {
  private sent = 0;
  private tail: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  /** `credit`: the initial window in bytes, or undefined when the client grants none. */
  constructor(
    private credit: number | undefined,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener("abort", () => this.wake?.(), { once: true });
  }

  /** The client's cumulative credit; a smaller value than before changes nothing. */
  grant(bytes: number): void {
    if (this.credit === undefined || bytes <= this.credit) return;
    this.credit = bytes;
    this.wake?.();
  }

  /**
   * Runs `send` in emit order once the window has room; it returns the payload bytes it sent.
   * Settles when the chunk went (or was dropped because the request ended); never rejects, since a
   * handler need not await it.
   */
  send(send: () => number): Promise<void> {
    this.tail = this.tail.then(async () => {
      await this.room();
      this.sent += send();
    });
    return this.tail;
  }

  /** Settles once every chunk emitted so far went: the stream's end must not overtake them. */
  drained(): Promise<void> {
    return this.tail;
  }

  private async room(): Promise<void> {
    while (this.credit !== undefined && this.sent >= this.credit && !this.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.wake = () => {
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}
