/**
 * The mux: one Node's agent connection and client sessions, and the relay rules in docs/PROTOCOL.md and docs/OPERATIONS.md between
 * them (docs/PROTOCOL.md is the wire). Frames come in through `onMessage`, everything goes out through
 * a MuxPort (ports.ts): the core holds no socket, timer or database, so its rules run in plain Node
 * (test/relay/) as well as in the Node's Durable Object (node/node-object.ts), which is a thin shell
 * around it. Every deadline (request timeouts, stream caps, handshake deadlines, credential expiry,
 * the write-behind flush) is due from `nextDeadline` and handled by `onAlarm`.
 *
 * Requests themselves, from admission to their one ending, are requests.ts's; the mux holds the
 * connections, their handshakes and deadlines, and routes frames.
 *
 * Duplicate connections: a newer agent connection of the same Node replaces the older one, which is
 * closed with CloseCode.REPLACED; requests pending on the older connection fail with `node_offline`
 * (the new agent process never saw them).
 */
import {
  AgentFrame,
  type AgentReleases,
  ClientFrame,
  CloseCode,
  encodeFrame,
  PONG_FRAME,
  PROTOCOL_VERSION,
  utf8Length,
  type CancelReason,
  type Device,
  type Limits,
} from "@ora/protocol";
import { randomId } from "../encoding.js";
import { readFrame, type Inbound } from "./forward.js";
import { agentReleaseProblem, announcedLimits, versionProblem } from "./handshake.js";
import { emptyCounters, Metrics } from "./metrics.js";
import { PendingTable } from "./pending.js";
import { Requests } from "./requests.js";
import { Connections } from "./connections.js";
import {
  attachmentOf,
  sessionInfo,
  type AgentAttachment,
  type AgentPeer,
  type Attachment,
  type ClientAttachment,
  type ClientPeer,
  type Peer,
} from "./peers.js";
import type { MuxPort, MuxRecords, MuxStore } from "./ports.js";

/** After this many invalid frames a connection is closed: a broken or hostile peer gets no more replies. */
const MAX_BAD_FRAMES = 16;
/** Metrics and the pending table are written behind, at most this long after they change. */
export const FLUSH_MS = 1000;

export interface MuxConfig extends Limits {
  streamWindowBytes: number;
  helloTimeoutSec: number;
  /** Announced in every agent's welcome; an agent older than the minimum is refused. */
  agentReleases: AgentReleases;
}

export class Mux<S> {
  /** The live requests; read-only outside the core. */
  readonly pending: PendingTable;
  private readonly metrics: Metrics;
  private readonly limits: Limits;
  private readonly conns: Connections<S>;
  private readonly requests: Requests<S>;

  /** `open`: the connections that outlived the previous instance, with the attachments they saved. */
  constructor(
    private readonly config: MuxConfig,
    private readonly port: MuxPort<S>,
    private readonly store: MuxStore,
    private readonly records: MuxRecords,
    open: Iterable<readonly [S, Attachment]> = [],
  ) {
    this.pending = new PendingTable(store);
    this.metrics = new Metrics({ ...emptyCounters(), ...store.loadCounters() });
    this.limits = announcedLimits(config);
    this.conns = new Connections(port, this.metrics, config.windowBytes);
    this.requests = new Requests(config, port, this.pending, this.conns, this.metrics);
    const currentAgent = store.currentAgent();
    for (const [socket, attachment] of open) {
      const peer = this.conns.track(socket, attachment);
      if (peer.kind === "agent" && peer.conn === currentAgent) this.conns.agent = peer;
    }
  }

  /** The connection's state, or undefined for a connection the mux does not hold (or dropped already). */
  peer(socket: S): Peer<S> | undefined {
    return this.conns.bySocket.get(socket);
  }

  snapshot() {
    return { connected: this.conns.agent?.hello ?? false, sessions: this.conns.sessions.size, pending: this.pending.size, ...this.metrics.counters };
  }

  // ---- Connections ----

  /** A new agent connection, which replaces the current one; returns what the connection must save. */
  openAgent(socket: S, source: string | null): AgentAttachment {
    const old = this.conns.agent;
    if (old) {
      this.records.agentDisconnected(CloseCode.REPLACED);
      this.conns.agent = null;
      this.nodeGone("replaced by a newer connection of this Node");
      this.conns.forget(old.socket);
      this.port.close(old.socket, CloseCode.REPLACED, "replaced by a newer connection");
    }
    this.records.agentConnected(source);
    const attachment: AgentAttachment = { kind: "agent", conn: randomId(), hello: false, openedAt: this.port.now() };
    this.conns.agent = this.conns.track(socket, attachment) as AgentPeer<S>;
    this.store.setCurrentAgent(attachment.conn);
    this.metrics.add("agentConnects");
    this.schedule();
    return attachment;
  }

  /** A new client session of `device` (authenticated by the caller); returns what it must save. */
  openClient(socket: S, device: Device, source: string | null): ClientAttachment {
    const attachment: ClientAttachment = {
      kind: "client",
      sid: randomId(),
      dev: device.id,
      role: device.role,
      hello: false,
      openedAt: this.port.now(),
      until: device.expiresAt,
    };
    this.records.clientConnected(device, source, attachment.openedAt);
    this.conns.track(socket, attachment);
    this.metrics.add("clientConnects");
    this.schedule();
    return attachment;
  }

  /** The connection closed (reciprocated with `code`) or failed. */
  onClose(socket: S, code: number): void {
    this.close(socket, code, "closed by peer");
  }

  onError(socket: S): void {
    this.close(socket, CloseCode.INTERNAL, "socket error");
  }

  /** Closes a connection and ends everything that hangs on it: its pending requests, its session, the Node. */
  close(socket: S, code: number, reason: string, cancel?: CancelReason): void {
    this.drop(socket, code, reason, cancel);
    this.schedule();
  }

  // ---- Frames ----

  /** A text frame, or a binary one (data frames only, and only from a peer that said `bin`). */
  onMessage(peer: Peer<S>, message: string | ArrayBuffer): void | Promise<void> {
    const binary = typeof message !== "string";
    const bytes = binary ? message.byteLength : utf8Length(message);
    this.metrics.add("bytesIn", bytes);
    if (binary && !peer.bin) return this.badFrame(peer, 'binary frames need "bin":true in the hello');
    const done =
      peer.kind === "client"
        ? this.onClientFrame(peer as ClientPeer<S>, readFrame(message, bytes, ClientFrame), bytes)
        : this.onAgentFrame(peer as AgentPeer<S>, readFrame(message, bytes, AgentFrame), bytes);
    this.flushDue();
    return done;
  }

  private onClientFrame(peer: ClientPeer<S>, frame: Inbound<ClientFrame>, bytes: number): void | Promise<void> {
    if (!frame.ok) return this.badFrame(peer, frame.message, frame.id);
    const header = frame.header;
    if (bytes > this.config.maxMessageBytes)
      return this.conns.reject(peer, "too_large", `frame exceeds ${this.config.maxMessageBytes} bytes`, "id" in header ? header.id : undefined);
    if (header.t === "ping") return this.conns.send(peer, PONG_FRAME);
    if (header.t === "hello") return this.clientHello(peer, header.v, header.credit === true, header.bin === true);
    if (!peer.hello) return this.conns.reject(peer, "hello_required", "send hello first", "id" in header ? header.id : undefined);
    switch (header.t) {
      case "req":
        return this.requests.request(peer, header.id, frame.payload, frame.payloadBytes);
      case "cancel":
        return this.requests.cancel(peer, header.id);
      case "ack":
        peer.acked = Math.min(peer.sent, Math.max(peer.acked, header.bytes));
        return;
      case "credit":
        return this.requests.credit(peer, header.id, header.bytes);
      case "rotate":
        return this.rotate(peer);
    }
  }

  /** A fresh credential for this device, to this session only. */
  private async rotate(peer: ClientPeer<S>): Promise<void> {
    const result = await this.records.rotate(peer.dev, this.port.now());
    if (!result.ok) return this.conns.reject(peer, result.code, result.code === "rate_limited" ? "too many rotations; try later" : "device not active");
    this.conns.send(peer, encodeFrame({ t: "rotated", credential: result.credential }));
  }

  private clientHello(peer: ClientPeer<S>, version: number, credit: boolean, bin: boolean): void {
    if (!this.versionOk(peer, version) || peer.hello) return;
    peer.hello = true;
    if (credit) peer.credit = true;
    if (bin) peer.bin = true;
    this.port.save(peer.socket, attachmentOf(peer));
    this.conns.sessions.set(peer.sid, peer);
    const online = this.conns.agent?.hello ?? false;
    const flags = { ...(this.records.rotationDue(peer.dev, this.port.now()) ? { rotate: true } : {}), ...(bin ? { bin: true } : {}) };
    this.conns.send(
      peer,
      encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, session: peer.sid, device: peer.dev, role: peer.role, online, limits: this.limits, ...flags }),
    );
    if (this.conns.agent?.hello) this.conns.send(this.conns.agent, encodeFrame({ t: "session", ...sessionInfo(peer), open: true }));
  }

  private onAgentFrame(peer: AgentPeer<S>, frame: Inbound<AgentFrame>, bytes: number): void {
    if (!frame.ok) return this.badFrame(peer, frame.message, frame.id);
    const header = frame.header;
    if (bytes > this.config.maxMessageBytes) {
      this.conns.reject(peer, "too_large", `frame exceeds ${this.config.maxMessageBytes} bytes`, "rid" in header ? header.rid : undefined);
      if ("rid" in header) this.requests.tooLarge(header.rid);
      return;
    }
    if (header.t === "ping") return this.conns.send(peer, PONG_FRAME);
    if (header.t === "hello") return this.agentHello(peer, header.v, header.agent, header.credit === true, header.bin === true);
    if (!peer.hello) return this.conns.reject(peer, "hello_required", "send hello first", "rid" in header ? header.rid : undefined);
    if (peer !== this.conns.agent) return; // a replaced connection's last words are not forwarded
    if (header.t === "push") return this.requests.push(header.to, frame.payload, frame.payloadBytes);
    return this.requests.answer(header.t, header.rid, frame.payload, frame.payloadBytes);
  }

  private agentHello(peer: AgentPeer<S>, version: number, agent: string | undefined, credit: boolean, bin: boolean): void {
    if (!this.versionOk(peer, version) || peer.hello) return;
    const releases = this.config.agentReleases;
    const tooOld = agentReleaseProblem(agent, releases);
    if (tooOld !== null) {
      // The refusal names the release to install, so that the agent can say it before it stops.
      this.metrics.reject("upgrade_required");
      this.conns.send(peer, encodeFrame({ t: "err", code: "upgrade_required", message: tooOld, ...releases }));
      this.drop(peer.socket, CloseCode.UPGRADE_REQUIRED, "agent release below the relay's minimum");
      return;
    }
    peer.hello = true;
    if (credit) peer.credit = true;
    if (bin) peer.bin = true;
    this.port.save(peer.socket, attachmentOf(peer));
    const sessions = [...this.conns.sessions.values()].map(sessionInfo);
    const welcome = { t: "welcome", v: PROTOCOL_VERSION, node: this.records.nodeId(), limits: this.limits, sessions, ...(bin ? { bin: true } : {}) };
    this.conns.send(peer, encodeFrame({ ...welcome, ...releases }));
    this.conns.broadcast(encodeFrame({ t: "node", online: true }));
  }

  // ---- Deadlines ----

  /** Fails what is overdue, closes what missed its deadline, and writes the durable state behind. */
  onAlarm(): void {
    const now = this.port.now();
    this.requests.timeOut(now);
    for (const [socket, peer] of this.conns.bySocket) {
      if (!peer.hello && peer.openedAt + this.config.helloTimeoutSec * 1000 <= now) {
        this.metrics.reject("hello_required");
        this.drop(socket, CloseCode.HELLO_TIMEOUT, "no hello before the deadline");
      } else if (peer.kind === "client" && peer.until !== null && peer.until !== undefined && peer.until <= now) {
        this.drop(socket, CloseCode.UNAUTHORIZED, "the device's credential has expired", "revoked");
      }
    }
    this.pending.flush();
    if (this.metrics.dirty) {
      this.store.saveCounters(this.metrics.counters);
      this.metrics.dirty = false;
    }
    this.schedule();
  }

  /** The earliest time something is due, or undefined when nothing is. */
  private nextDeadline(): number | undefined {
    let next = this.pending.earliestDeadline();
    const consider = (t: number | null | undefined) => {
      if (t !== null && t !== undefined && (next === undefined || t < next)) next = t;
    };
    for (const peer of this.conns.bySocket.values()) {
      if (!peer.hello) consider(peer.openedAt + this.config.helloTimeoutSec * 1000);
      if (peer.kind === "client") consider(peer.until);
    }
    if (this.metrics.dirty || this.pending.dirty) consider(this.port.now() + FLUSH_MS);
    return next;
  }

  private schedule(): void {
    const at = this.nextDeadline();
    if (at !== undefined) this.port.wakeBy(at);
  }

  /** The per-frame path: only makes sure a write-behind flush is due; never scans. */
  private flushDue(): void {
    if (this.metrics.dirty || this.pending.dirty) this.port.wakeBy(this.port.now() + FLUSH_MS);
  }

  // ---- Endings ----

  /** Removes a connection and everything that hangs on it: its pending requests, its session, the Node. */
  private drop(socket: S, code: number, reason: string, cancel: CancelReason = "client_gone"): void {
    const peer = this.conns.forget(socket);
    this.port.close(socket, code, reason);
    if (!peer) return;
    if (peer.kind === "agent") {
      this.records.agentDisconnected(code);
      if (peer === this.conns.agent) {
        this.conns.agent = null;
        this.store.setCurrentAgent(null);
        this.nodeGone("the agent disconnected");
      }
      return;
    }
    this.records.clientDisconnected(peer.dev, code, this.port.now());
    this.requests.endSession(peer.sid, cancel);
    if (peer.hello && this.conns.agent?.hello) this.conns.send(this.conns.agent, encodeFrame({ t: "session", ...sessionInfo(peer), open: false }));
  }

  /** Every pending request fails with node_offline and every session learns the Node is offline. */
  private nodeGone(message: string): void {
    this.requests.failAll("node_offline", message);
    this.conns.broadcast(encodeFrame({ t: "node", online: false }));
  }

  private badFrame(peer: Peer<S>, message: string, id?: unknown): void {
    peer.bad += 1;
    this.conns.reject(peer, "bad_frame", message, id);
    if (peer.bad >= MAX_BAD_FRAMES) this.drop(peer.socket, CloseCode.TOO_MANY_BAD_FRAMES, "too many invalid frames");
  }

  private versionOk(peer: Peer<S>, version: number): boolean {
    const problem = versionProblem(version);
    if (problem === null) return true;
    this.conns.reject(peer, "upgrade_required", problem);
    this.drop(peer.socket, CloseCode.UPGRADE_REQUIRED, "protocol version not supported");
    return false;
  }
}
