/**
 * The mux core (worker/src/mux/) in plain Node: fake sockets that keep what the relay sent them, a
 * fake clock, one alarm slot that fires like the Durable Object's, and storage in memory that outlives
 * the core, so a test can evict the core and rebuild it as after hibernation.
 */
import { encodeFrame, toBase64Url, type Device, type Role } from "@ora/protocol";
import { Mux, type MuxConfig } from "../../worker/src/mux/mux.js";
import type { Attachment } from "../../worker/src/mux/peers.js";
import type { MuxPort, MuxRecords, MuxStore, PendingRow, Rotation } from "../../worker/src/mux/ports.js";

export const CONFIG: MuxConfig = {
  maxPending: 4,
  maxPendingPerSession: 2,
  timeoutSec: 5,
  streamMaxSec: 12,
  maxMessageBytes: 1024,
  windowBytes: 1024,
  streamWindowBytes: 256,
  helloTimeoutSec: 3,
  agentReleases: {},
};

export interface Sent {
  header: Record<string, any>;
  /** A binary frame's payload as base64url: what the text form of the same frame carries. */
  payload: string | undefined;
  /** A text frame as sent; a binary frame's header. */
  text: string;
  /** A binary frame's payload bytes; undefined for a text frame. */
  bytes?: Uint8Array;
}

/** What the relay sent, read as a peer reads it: [u16 header length][header][payload] when binary. */
function received(data: string | Uint8Array): Sent {
  if (typeof data !== "string") {
    const end = 2 + ((data[0]! << 8) | data[1]!);
    const text = new TextDecoder().decode(data.subarray(2, end));
    const bytes = data.slice(end);
    return { header: JSON.parse(text), payload: toBase64Url(bytes), text, bytes };
  }
  const nl = data.indexOf("\n");
  return { header: JSON.parse(nl === -1 ? data : data.slice(0, nl)), payload: nl === -1 ? undefined : data.slice(nl + 1), text: data };
}

/** One end of a connection as the relay sees it; `inbox` is everything the relay sent to it. */
export class FakeSocket {
  readonly inbox: Sent[] = [];
  /** Read up to here by `take`. */
  private read = 0;
  closed: { code: number; reason: string } | null = null;
  attachment: Attachment | null = null;

  constructor(readonly name: string) {}

  /** What arrived since the last take. */
  take(): Sent[] {
    const fresh = this.inbox.slice(this.read);
    this.read = this.inbox.length;
    return fresh;
  }
}

/** The store as the Durable Object's SQLite would keep it: rows copied in and out, counters as JSON. */
export class MemoryStore implements MuxStore {
  readonly rows = new Map<number, PendingRow>();
  blockEnd = 0;
  counters: string | null = null;
  agent: string | null = null;

  loadPending(): PendingRow[] {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }
  ridBlockEnd(): number {
    return this.blockEnd;
  }
  reserveRids(blockEnd: number): void {
    this.blockEnd = blockEnd;
  }
  writePending(changed: Iterable<PendingRow>, removed: Iterable<number>): void {
    for (const rid of removed) this.rows.delete(rid);
    for (const { rid, sid, id, startedAt, deadline, streaming } of changed) this.rows.set(rid, { rid, sid, id, startedAt, deadline, streaming });
  }
  loadCounters() {
    return this.counters === null ? null : JSON.parse(this.counters);
  }
  saveCounters(counters: object): void {
    this.counters = JSON.stringify(counters);
  }
  currentAgent(): string | null {
    return this.agent;
  }
  setCurrentAgent(conn: string | null): void {
    this.agent = conn;
  }
}

export class MemoryRecords implements MuxRecords {
  readonly audit: string[] = [];
  readonly rotationsDue = new Set<string>();
  nodeId(): string {
    return "node-1";
  }
  agentConnected(source: string | null): void {
    this.audit.push(`agent_connect ${source}`);
  }
  agentDisconnected(code: number): void {
    this.audit.push(`agent_disconnect ${code}`);
  }
  clientConnected(device: Device, source: string | null): void {
    this.audit.push(`client_connect ${device.id} ${source}`);
  }
  clientDisconnected(deviceId: string, code: number): void {
    this.audit.push(`client_disconnect ${deviceId} ${code}`);
  }
  rotationDue(deviceId: string): boolean {
    return this.rotationsDue.has(deviceId);
  }
  async rotate(): Promise<Rotation> {
    return { ok: true, credential: `ora_dev_${"r".repeat(43)}` };
  }
}

export function device(id: string, role: Role = "owner", expiresAt: number | null = null): Device {
  return { id, name: id, role, createdAt: 0, expiresAt, revokedAt: null, lastSeen: null };
}

export class Harness {
  now = 1_000_000;
  /** The one alarm, as the runtime keeps it: it outlives the core. */
  alarmAt: number | null = null;
  readonly store = new MemoryStore();
  readonly records = new MemoryRecords();
  /** Every socket the relay has not closed, oldest first. */
  readonly open = new Set<FakeSocket>();
  mux: Mux<FakeSocket>;
  private readonly port: MuxPort<FakeSocket> = {
    send: (socket, data) => {
      if (socket.closed) return false;
      socket.inbox.push(received(data));
      return true;
    },
    close: (socket, code, reason) => {
      if (socket.closed) return;
      socket.closed = { code, reason };
      this.open.delete(socket);
      this.closing.add(socket);
    },
    save: (socket, attachment) => {
      socket.attachment = structuredClone(attachment);
    },
    wakeBy: (at) => {
      if (this.alarmAt === null || at < this.alarmAt) this.alarmAt = at;
    },
    now: () => this.now,
  };
  /** Sockets the relay closed whose peer has not answered the close yet. */
  readonly closing = new Set<FakeSocket>();

  constructor(readonly config: MuxConfig = CONFIG) {
    this.mux = new Mux(config, this.port, this.store, this.records);
  }

  connectAgent(name = "agent"): FakeSocket {
    const socket = new FakeSocket(name);
    socket.attachment = this.mux.openAgent(socket, "src-agent");
    return this.opened(socket);
  }

  connectClient(name: string, dev = device(`dev-${name}`)): FakeSocket {
    const socket = new FakeSocket(name);
    socket.attachment = this.mux.openClient(socket, dev, `src-${name}`);
    return this.opened(socket);
  }

  /**
   * A frame from a peer, dispatched as the Durable Object does: only to a connection the mux holds. A
   * socket the relay closed may still deliver frames it sent before it saw the close.
   */
  send(socket: FakeSocket, frame: string | Uint8Array): void {
    const peer = this.mux.peer(socket);
    // The runtime hands binary messages over as an ArrayBuffer of their own.
    const message = typeof frame === "string" ? frame : frame.slice().buffer;
    if (peer) void this.mux.onMessage(peer, message);
  }

  /** The peer closes its end. */
  disconnect(socket: FakeSocket, code = 1000): void {
    if (!socket.closed) socket.closed = { code, reason: "bye" };
    this.open.delete(socket);
    this.mux.onClose(socket, code);
  }

  /** Lets `ms` pass, firing the alarm each time it comes due, at the time it is set for. */
  advance(ms: number): void {
    this.completeCloses();
    const until = this.now + ms;
    for (let fired = 0; this.alarmAt !== null && this.alarmAt <= until; fired++) {
      // An alarm that keeps coming due without anything changing would keep a real object awake.
      if (fired > 1000) throw new Error(`the alarm keeps firing at ${this.alarmAt}`);
      this.now = Math.max(this.now, this.alarmAt);
      this.fireAlarm();
    }
    this.now = until;
  }

  /** The alarm runs now, due or not (as workerd's runDurableObjectAlarm does). */
  fireAlarm(): void {
    this.alarmAt = null;
    this.mux.onAlarm();
  }

  /**
   * The object is evicted and a new instance built from storage and the attachments of the sockets
   * the runtime still holds: the open ones and those whose close the relay started but the peer has
   * not completed yet. The runtime only evicts an object after seconds without events, by which time
   * its write-behind flush has run: the alarm fires first.
   */
  evict(): void {
    this.fireAlarm();
    const held = [...this.open, ...this.closing].sort((a, b) => Number(b.attachment?.kind === "agent") - Number(a.attachment?.kind === "agent"));
    this.mux = new Mux(
      this.config,
      this.port,
      this.store,
      this.records,
      held.map((s) => [s, structuredClone(s.attachment!)] as const),
    );
  }

  private opened(socket: FakeSocket): FakeSocket {
    this.open.add(socket);
    return socket;
  }

  /** Time passes: every close the relay started is answered, and the runtime reports it like any other. */
  private completeCloses(): void {
    for (const socket of this.closing) {
      this.closing.delete(socket);
      this.mux.onClose(socket, socket.closed!.code);
    }
  }
}

/** A client that has said hello (with `extra` in it: credit, bin); returns its socket and session id. */
export function helloClient(h: Harness, name: string, dev = device(`dev-${name}`), extra: object = {}): { socket: FakeSocket; sid: string } {
  const socket = h.connectClient(name, dev);
  h.send(socket, encodeFrame({ t: "hello", v: 1, ...extra }));
  const welcome = socket.take().find((f) => f.header.t === "welcome");
  if (!welcome) throw new Error(`${name} got no welcome`);
  return { socket, sid: welcome.header.session };
}

/** An agent that has said hello (with `extra` in it: credit, bin). */
export function helloAgent(h: Harness, name = "agent", extra: object = {}): FakeSocket {
  const socket = h.connectAgent(name);
  h.send(socket, encodeFrame({ t: "hello", v: 1, ...extra }));
  if (!socket.take().some((f) => f.header.t === "welcome")) throw new Error(`${name} got no welcome`);
  return socket;
}
