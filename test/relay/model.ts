/**
 * A reference model of the mux rules for the model-based test (mux-model.test.ts), written from
 * docs/PROTOCOL.md rather than from the core: which requests are open, what each peer must receive
 * next, and when each deadline falls. Frames are compared in a short normal form: `res:a`, `chunk:a`,
 * `end:a`, `err:a:timeout` (`err:-:…` without an id) to a client; `req:<session>`, `cancel:7:timeout`,
 * `err:upgrade_required` to the agent. Frames these rules say nothing about (welcome, node and
 * session notices) are not compared, but every byte counts towards a client's flow window.
 */
import { encodeFrame, utf8Length } from "@ora/protocol";
import type { Sent } from "./harness.js";

export interface Limits {
  maxPending: number;
  maxPendingPerSession: number;
  timeoutMs: number;
  streamMaxMs: number;
  windowBytes: number;
  helloMs: number;
}

export interface ModelClient {
  /** The name of its socket in the real harness. */
  name: string;
  hello: boolean;
  sid: string | null;
  openedAt: number;
  until: number | null;
  /** Every byte it received since it connected: what it acknowledges. */
  received: number;
  /** What the relay counts against its window: bytes sent and acknowledged since the relay last started. */
  sent: number;
  acked: number;
}

export interface ModelAgent {
  name: string;
  hello: boolean;
  openedAt: number;
}

/** A request owed exactly one ending: res, end or err. */
export interface OpenRequest {
  slot: number;
  id: string;
  rid: number;
  startedAt: number;
  deadline: number;
}

export function normal(frame: Sent, toAgent: boolean): string | null {
  const h = frame.header;
  switch (h.t) {
    case "res":
    case "chunk":
    case "end":
      return `${h.t}:${h.id}`;
    case "err":
      return toAgent ? `err:${h.code}` : `err:${h.id ?? (h.dup === undefined ? "-" : `dup=${h.dup}`)}:${h.code}`;
    case "req":
      return `req:${h.s}`;
    case "cancel":
      return `cancel:${h.rid}:${h.reason}`;
    default:
      return null;
  }
}

export class Model {
  now = 0;
  agent: ModelAgent | null = null;
  clients: (ModelClient | null)[];
  /** Open requests by relay id. */
  readonly requests = new Map<number, OpenRequest>();
  /** Relay ids of requests that have ended: an answer to one is late. */
  readonly ended: number[] = [];
  /** Agents the relay closed whose close has not completed: frames they sent before may still arrive. */
  closing: string[] = [];
  /** What each socket (by name) must receive in the current step, and which must be closed with what code. */
  expected = new Map<string, string[]>();
  closes = new Map<string, number>();

  constructor(
    readonly limits: Limits,
    slots: number,
  ) {
    this.clients = Array.from({ length: slots }, () => null);
  }

  expect(name: string, frame: string): void {
    this.expected.set(name, [...(this.expected.get(name) ?? []), frame]);
  }

  toAgent(frame: string): void {
    if (this.agent) this.expect(this.agent.name, frame);
  }

  /** The request's one ending, to its client. */
  end(rid: number, ending: string): void {
    const request = this.requests.get(rid)!;
    this.requests.delete(rid);
    this.ended.push(rid);
    this.expect(this.clients[request.slot]!.name, ending.replace("%", request.id));
  }

  /** The client is gone: its requests end at the agent only, with a cancel. */
  clientGone(slot: number, code: number, reason: string): void {
    this.closes.set(this.clients[slot]!.name, code);
    for (const request of [...this.requests.values()].filter((r) => r.slot === slot)) {
      this.requests.delete(request.rid);
      this.ended.push(request.rid);
      this.toAgent(`cancel:${request.rid}:${reason}`);
    }
    this.clients[slot] = null;
  }

  /**
   * The agent is gone or replaced: every open request fails with node_offline. When the relay closed
   * it (`byRelay`), frames it sent before it saw the close may still arrive.
   */
  agentGone(code: number, byRelay = true): void {
    for (const rid of [...this.requests.keys()]) this.end(rid, "err:%:node_offline");
    this.closes.set(this.agent!.name, code);
    if (byRelay) this.closing.push(this.agent!.name);
    this.agent = null;
  }

  openOf(slot: number): OpenRequest[] {
    return [...this.requests.values()].filter((r) => r.slot === slot);
  }

  /** The earliest deadline of any kind, or undefined. */
  nextDue(): number | undefined {
    const due: number[] = [...this.requests.values()].map((r) => r.deadline);
    if (this.agent && !this.agent.hello) due.push(this.agent.openedAt + this.limits.helloMs);
    for (const c of this.clients) {
      if (c && !c.hello) due.push(c.openedAt + this.limits.helloMs);
      if (c?.until !== null && c?.until !== undefined) due.push(c.until);
    }
    return due.length === 0 ? undefined : Math.min(...due);
  }

  /** Time passes to `target`: each deadline is met at its own time, requests before connections. */
  advance(target: number, codes: { helloTimeout: number; expired: number }): void {
    for (let t = this.nextDue(); t !== undefined && t <= target; t = this.nextDue()) {
      this.now = Math.max(this.now, t);
      for (const request of [...this.requests.values()]) {
        if (request.deadline > t) continue;
        this.end(request.rid, "err:%:timeout");
        this.toAgent(`cancel:${request.rid}:timeout`);
      }
      if (this.agent && !this.agent.hello && this.agent.openedAt + this.limits.helloMs <= t) this.agentGone(codes.helloTimeout);
      this.clients.forEach((c, slot) => {
        if (c && !c.hello && c.openedAt + this.limits.helloMs <= t) this.clientGone(slot, codes.helloTimeout, "client_gone");
        else if (c && c.until !== null && c.until <= t) this.clientGone(slot, codes.expired, "revoked");
      });
    }
    this.now = target;
  }

  /** What the client must get for an answer frame of `kind` with `payload`, and what follows from it. */
  answer(rid: number, kind: "res" | "chunk" | "end", payload: string): void {
    const request = this.requests.get(rid);
    if (!request) return; // late: dropped and counted
    const client = this.clients[request.slot]!;
    const bytes = utf8Length(encodeFrame({ t: kind, id: request.id }, payload));
    if (client.sent - client.acked + bytes > this.limits.windowBytes) {
      this.end(rid, "err:%:slow_consumer");
      this.toAgent(`cancel:${rid}:slow_consumer`);
      return;
    }
    if (kind !== "chunk") return this.end(rid, `${kind}:%`);
    this.expect(client.name, `chunk:${request.id}`);
    request.deadline = Math.min(this.now + this.limits.timeoutMs, request.startedAt + this.limits.streamMaxMs);
  }
}
