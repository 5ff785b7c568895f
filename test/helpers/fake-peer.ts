/**
 * Named fake peers (alice, bob, cathy …) on a real WebSocket of either runtime: the `ws` library in
 * Node (helpers/peer.ts dials them) and workerd's own (worker/relay.ts). Both offer the WHATWG
 * interface this class uses. Every wait has a timeout, so a missing frame fails the test with a
 * message instead of hanging it.
 */
import { binaryMessage, encodeFrame, toBase64Url } from "@ora/protocol";

export interface Frame {
  header: Record<string, any>;
  /** A binary frame's payload as base64url: what the text form of the same frame would carry. */
  payload: string | undefined;
  /** A text frame as received; a binary frame's header. */
  text: string;
  /** A binary frame's payload bytes; undefined for a text frame. */
  bytes?: Uint8Array;
}

/** A received message read as a frame of either form (frames.ts): [u16 header length][header][payload] when binary. */
function frameOf(data: unknown): Frame {
  const binary = binaryMessage(data);
  if (binary) {
    const end = 2 + ((binary[0]! << 8) | binary[1]!);
    const text = new TextDecoder().decode(binary.subarray(2, end));
    const bytes = binary.slice(end);
    return { header: JSON.parse(text), payload: toBase64Url(bytes), text, bytes };
  }
  const text = String(data);
  const nl = text.indexOf("\n");
  return { header: JSON.parse(nl === -1 ? text : text.slice(0, nl)), payload: nl === -1 ? undefined : text.slice(nl + 1), text };
}

/** The part of a WebSocket a fake peer uses: `ws` and workerd both have it. */
export interface PeerSocket {
  send(data: any): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message" | "close", listener: (event: any) => void): void;
}

/** How long a wait lasts by default before it fails the test. */
export const WAIT_MS = 5000;

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class FakePeer<S extends PeerSocket = PeerSocket> {
  /** Frames received and not consumed yet by a wait. */
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private readonly closedEvent: Promise<{ code: number; reason: string }>;

  constructor(
    readonly name: string,
    readonly ws: S,
    /** The default wait for this peer's frames. */
    readonly waitMs = WAIT_MS,
    /** The wait for its socket's close. */
    readonly closeWaitMs = waitMs,
  ) {
    this.closedEvent = new Promise((resolve) => {
      ws.addEventListener("close", (event: { code: number; reason: string }) => resolve({ code: event.code, reason: String(event.reason) }));
    });
    ws.addEventListener("message", (event: { data: unknown }) => {
      // A peer that did not say bin only ever gets text; one that did reads both forms.
      const frame = frameOf(event.data);
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else this.frames.push(frame);
    });
  }

  /** The next frame that matches (already received or still to come). */
  next(match: (f: Frame) => boolean = () => true, ms = this.waitMs): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        const have = this.frames.map((f) => f.text.slice(0, 100)).join(" | ") || "nothing";
        reject(new Error(`${this.name}: no matching frame within ${ms} ms; have ${have}`));
      }, ms);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** The next frame of type `t`. */
  nextOf(t: string, ms = this.waitMs): Promise<Frame> {
    return this.next((f) => f.header.t === t, ms);
  }

  /** The frame that ends request `id`: res, end or err. */
  outcome(id: string, ms = this.waitMs): Promise<Frame> {
    return this.next((f) => f.header.id === id && ["res", "end", "err"].includes(f.header.t), ms);
  }

  /** The socket's close (code and reason), within the peer's close wait. */
  get closed(): Promise<{ code: number; reason: string }> {
    return within(this.closedEvent, this.closeWaitMs, `${this.name}'s socket to close`);
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** A request calling `method` with `params`, as a client sends it (before end-to-end encryption). */
  request(id: string, method: string, params?: unknown): void {
    this.send(encodeFrame({ t: "req", id }, JSON.stringify({ method, params })));
  }

  /** A request with exactly this payload (or none). */
  requestRaw(id: string, payload?: string): void {
    this.send(encodeFrame({ t: "req", id }, payload));
  }

  /**
   * Waits until the relay has handled every frame this peer sent before. The ping carries an extra
   * key, so it is not byte-identical to PING_FRAME: the runtime's auto-response does not answer it and
   * the pong comes from the relay itself, after everything queued ahead of it on this socket.
   */
  async sync(ms = this.waitMs): Promise<void> {
    this.send(JSON.stringify({ t: "ping", sync: true }));
    await this.next((f) => f.header.t === "pong", ms);
  }

  /**
   * Every frame received and not yet consumed, once the relay has caught up with this socket; frames
   * whose type is in `ignore` are discarded instead (an agent's session notices, for instance).
   */
  async drain(ignore: string[] = [], ms = this.waitMs): Promise<Frame[]> {
    await this.sync(ms);
    return this.frames.splice(0).filter((f) => !ignore.includes(f.header.t));
  }

  async closeAndWait(code = 1000): Promise<void> {
    this.ws.close(code, "bye");
    await this.closed;
  }
}
