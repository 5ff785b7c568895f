/**
 * Progress of a transfer on stderr: on a terminal one line redrawn in place (percent, MiB, MiB/s,
 * time left), at most ten times a second; otherwise a plain line at every tenth of the way, so a log
 * file gets a handful of lines rather than one per piece.
 */
const MIB = 1024 * 1024;

export interface ProgressOptions {
  out?: NodeJS.WriteStream | NodeJS.WritableStream;
  tty?: boolean;
  now?: () => number;
}

export class ProgressBar {
  private readonly out: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private started: { at: number; done: number } | undefined;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastTenth = -1;
  private drawn = false;

  constructor(
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.out = options.out ?? process.stderr;
    this.tty = options.tty ?? (this.out as NodeJS.WriteStream).isTTY === true;
    this.now = options.now ?? Date.now;
  }

  update(done: number, total: number): void {
    const now = this.now();
    // Speed counts from the first report, so bytes resumed from an earlier run do not inflate it.
    this.started ??= { at: now, done };
    const finished = done >= total;
    if (this.tty) {
      if (!finished && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.drawn = true;
      this.out.write(`\r\x1b[2K${this.line(done, total, now)}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    this.out.write(`${this.line(done, total, now)}\n`);
  }

  /** Ends the redrawn line, so that what follows starts on its own. */
  end(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  private line(done: number, total: number, now: number): string {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const seconds = (now - this.started!.at) / 1000;
    const rate = seconds > 0 ? (done - this.started!.done) / seconds : 0;
    const left = rate > 0 ? (total - done) / rate : undefined;
    const parts = [`${this.label} ${String(percent).padStart(3)}%`, `${(done / MIB).toFixed(1)}/${(total / MIB).toFixed(1)} MiB`];
    if (rate > 0) parts.push(`${(rate / MIB).toFixed(1)} MiB/s`);
    if (left !== undefined && done < total) parts.push(`ETA ${clock(left)}`);
    return parts.join("  ");
  }
}

function clock(seconds: number): string {
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}
