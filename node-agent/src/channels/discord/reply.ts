/**
 * An answer streamed into Discord: the first words become a reply to the user's message, later words
 * edit it at a pace Discord accepts (at most one edit per `intervalMs`; the REST client also queues
 * under Discord's rate limits), and an answer longer than a message continues in the next message,
 * split on line boundaries. Tool steps appear as short lines under the text.
 */
export const MESSAGE_LIMIT = 2000;

/** Splits text into pieces of at most `limit` characters, at line ends where it can, then at spaces. */
export function splitMessage(text: string, limit = MESSAGE_LIMIT): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    let cut = window.lastIndexOf("\n");
    if (cut <= 0) cut = window.lastIndexOf(" ");
    if (cut <= 0) cut = limit;
    pieces.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^[\n ]/, "");
  }
  if (rest.trim() !== "" || pieces.length === 0) pieces.push(rest);
  return pieces.filter((piece, i) => piece.trim() !== "" || i === 0);
}

export interface MessageSink {
  /** Posts a new message (the first one replying to the user's message); resolves with its id. */
  create(content: string, first: boolean): Promise<string>;
  edit(id: string, content: string): Promise<void>;
}

export class StreamedReply {
  private text = "";
  private readonly steps: string[] = [];
  private readonly sent: { id: string; content: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private lastFlush = 0;

  constructor(
    private readonly sink: MessageSink,
    /** Told when an edit between the first and the last fails (the last one's failure is thrown by finish). */
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 1200,
    private readonly now: () => number = Date.now,
  ) {}

  append(delta: string): void {
    this.text += delta;
    this.schedule();
  }

  /** A tool step's line ("🔧 files.write: waiting for the owner's approval"); a step of the same tool replaces its line. */
  step(tool: string, line: string): void {
    const index = this.steps.findIndex((s) => s.startsWith(`${marker(tool)} `));
    const full = `${marker(tool)} ${line}`;
    if (index === -1) this.steps.push(full);
    else this.steps[index] = full;
    this.schedule();
  }

  /** Sends what is left, with `text` as the whole answer when given (the final result). */
  async finish(text?: string): Promise<void> {
    if (text !== undefined && text.trim() !== "") this.text = text;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private content(): string {
    const steps = this.steps.length > 0 ? `\n\n${this.steps.join("\n")}` : "";
    return `${this.text.trim()}${steps}`.trim();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(this.onError);
    }, wait);
  }

  /** One flush at a time; each sends the newest content. */
  private flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.send());
    return this.flushing;
  }

  private async send(): Promise<void> {
    this.lastFlush = this.now();
    const content = this.content();
    if (content === "") return;
    const pieces = splitMessage(content);
    for (const [i, piece] of pieces.entries()) {
      const sent = this.sent[i];
      if (!sent) this.sent.push({ id: await this.sink.create(piece, i === 0), content: piece });
      else if (sent.content !== piece) {
        await this.sink.edit(sent.id, piece);
        sent.content = piece;
      }
    }
  }
}

const marker = (tool: string) => `\`${tool}\``;
