/**
 * One Durable Object per Node. It holds the agent's WebSocket and every client session of that Node,
 * and multiplexes requests between them under the limits in docs/OPERATIONS.md. WebSocket Hibernation API
 * only: per-socket state lives in attachments, pending requests and counters in SQLite, and every
 * deadline (request timeouts, stream caps, handshake deadlines, pairing offers, the metrics flush) is
 * driven by the one alarm. Heartbeats are answered by the runtime's auto-response, so an idle Node
 * never wakes us.
 *
 * Duplicate connections: a newer agent connection of the same Node replaces the older one, which is
 * closed with CloseCode.REPLACED; requests pending on the older connection fail with `node_offline`
 * (the new agent process never saw them). Pairing sockets (pairing.ts) are neither: they never
 * replace or disturb the agent's connection.
 */
import { DurableObject } from "cloudflare:workers";
import {
  AgentFrame,
  ClientFrame,
  CloseCode,
  decodeFrame,
  encodeFrame,
  MIN_PROTOCOL_VERSION,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  RelayId,
  RequestId,
  SUBPROTOCOL,
  utf8Length,
  type CancelReason,
  type ErrorCode,
} from "@ora/protocol";
import { sameSecret } from "../credentials.js";
import { randomId } from "../encoding.js";
import { credentialConfig, pushConfig, relayConfig, type Env, type RelayConfig } from "../env.js";
import { CREDENTIAL_HASH_HEADER, NAMEPLATE_HEADER, SOURCE_HEADER } from "../internal-headers.js";
import { migrate } from "../migrate.js";
import { PUSH_UNAUTHORIZED, PushGateway, type PushCall, type PushResult } from "../push/gateway.js";
import { PushStore } from "../push/store.js";
import { AuditLog, sourceTag } from "./audit.js";
import { DeviceStore, type Device } from "./devices.js";
import { forward, payloadBytes } from "./forward.js";
import { MetaStore } from "./meta.js";
import { emptyCounters, Metrics } from "./metrics.js";
import { Pairing } from "./pairing.js";
import {
  attachmentOf,
  closeQuietly,
  type AgentAttachment,
  type AgentPeer,
  type Attachment,
  type ClientAttachment,
  type ClientPeer,
  type Peer,
} from "./peers.js";
import { PendingTable, type PendingEntry } from "./pending.js";
import { NODE_MIGRATIONS } from "./schema.js";
import { OwnerApi, UNAUTHORIZED, type DeviceResult, type OwnerCall } from "./owner-api.js";

/** After this many invalid frames a socket is closed: a broken or hostile peer gets no more replies. */
const MAX_BAD_FRAMES = 16;
/** Metrics and the pending table are written behind, at most this long after they change. */
const FLUSH_MS = 1000;

export class NodeObject extends DurableObject<Env> {
  private readonly config: RelayConfig;
  private readonly sql: SqlStorage;
  private readonly pending: PendingTable;
  private readonly devices: DeviceStore;
  private readonly metrics: Metrics;
  private readonly meta: MetaStore;
  private readonly audit: AuditLog;
  private readonly pairing: Pairing;
  private readonly ownerApi: OwnerApi;
  private readonly pushes: PushGateway;
  private readonly peers = new Map<WebSocket, Peer>();
  private readonly sessions = new Map<string, ClientPeer>();
  private agent: AgentPeer | null = null;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.config = relayConfig(env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, NODE_MIGRATIONS);
    this.meta = new MetaStore(this.sql);
    this.pending = new PendingTable(this.sql);
    this.devices = new DeviceStore(this.sql, credentialConfig(env));
    this.audit = new AuditLog(this.sql);
    const nodeId = () => this.meta.get("node_id") ?? "";
    this.pairing = new Pairing(ctx, env, this.audit, nodeId, (at) => this.scheduleAlarm(at));
    this.ownerApi = new OwnerApi(this.devices, this.audit, nodeId, env.ORA_TOKEN_PEPPER!, (...args) => this.closeDevice(...args));
    const deps = { fetch: (url: string, init: RequestInit) => fetch(url, init), sleep: (ms: number) => scheduler.wait(ms), now: Date.now };
    this.pushes = new PushGateway(new PushStore(this.sql), this.devices, this.audit, pushConfig(env), deps);
    const saved = this.meta.get("metrics");
    this.metrics = new Metrics(saved ? { ...emptyCounters(), ...JSON.parse(saved) } : emptyCounters());
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    const currentAgent = this.meta.get("agent_conn");
    for (const ws of [...ctx.getWebSockets("agent"), ...ctx.getWebSockets("client")]) {
      const peer = this.track(ws, ws.deserializeAttachment() as Attachment);
      if (peer.kind === "agent" && peer.conn === currentAgent) this.agent = peer;
    }
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ---- Node identity and devices (RPC from the Worker) ----

  /** Called once by the registry; a Node's credential hash is never replaced. */
  initNode(nodeId: string, hash: string): boolean {
    if (this.meta.get("node_hash") !== null) return false;
    this.meta.set("node_id", nodeId);
    this.meta.set("node_hash", hash);
    return true;
  }

  /** The Node's device API and audit trail, for a caller holding the Node's credential (its hash). */
  async owner(nodeHash: string, call: OwnerCall): Promise<DeviceResult<unknown>> {
    return (await this.isNode(nodeHash)) ? this.ownerApi.call(call) : UNAUTHORIZED;
  }

  /** Web Push to this Node's devices (push/gateway.ts), for a caller holding the Node's credential. */
  async push(nodeHash: string, call: PushCall): Promise<PushResult<unknown>> {
    return (await this.isNode(nodeHash)) ? this.pushes.call(call) : PUSH_UNAUTHORIZED;
  }

  /** The audit trail for the operator, whose token the Worker has checked. */
  operatorAudit(limit: number, before?: number): DeviceResult<unknown> {
    return this.ownerApi.auditPage(limit, before);
  }

  metricsSnapshot(): Record<string, unknown> {
    return {
      node: this.meta.get("node_id"),
      connected: this.agent?.hello ?? false,
      sessions: this.sessions.size,
      pending: this.pending.size,
      ...this.metrics.counters,
      push: this.pushes.counters(),
    };
  }

  // ---- WebSocket upgrades (forwarded by the Worker after it checked the credential's tag) ----

  override async fetch(request: Request): Promise<Response> {
    const hash = request.headers.get(CREDENTIAL_HASH_HEADER) ?? "";
    const source = request.headers.get(SOURCE_HEADER);
    const path = new URL(request.url).pathname;
    // The Worker has reduced the offered subprotocols to exactly SUBPROTOCOL, or removed the header.
    const headers: HeadersInit = request.headers.get("Sec-WebSocket-Protocol") === SUBPROTOCOL ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {};
    if (path === "/pair-claim") return this.pairing.acceptClaimant(request.headers.get(NAMEPLATE_HEADER) ?? "", source ?? "", headers);
    if (path === "/agent" || path === "/pair-host") {
      if (!(await this.isNode(hash))) return refuse();
      return path === "/pair-host" ? this.pairing.acceptHost(headers) : this.acceptAgent(headers, source);
    }
    if (path === "/client") {
      const device = await this.devices.authenticate(hash, Date.now());
      return device ? this.acceptClient(device, headers, source) : refuse();
    }
    return new Response(null, { status: 404 });
  }

  private acceptAgent(headers: HeadersInit, source: string | null): Response {
    const now = Date.now();
    const old = this.agent;
    if (old) {
      this.audit.record("agent_disconnect", null, `code=${CloseCode.REPLACED}`);
      this.agent = null;
      this.nodeGone("replaced by a newer connection of this Node");
      this.forget(old.ws);
      closeQuietly(old.ws, CloseCode.REPLACED, "replaced by a newer connection");
    }
    this.audit.record("agent_connect", null, sourceTag(source));
    const pair = new WebSocketPair();
    const attachment: AgentAttachment = { kind: "agent", conn: randomId(), hello: false, openedAt: now };
    this.ctx.acceptWebSocket(pair[1], ["agent"]);
    pair[1].serializeAttachment(attachment);
    this.agent = this.track(pair[1], attachment) as AgentPeer;
    this.meta.set("agent_conn", attachment.conn);
    this.metrics.add("agentConnects");
    this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  private acceptClient(device: Device, headers: HeadersInit, source: string | null): Response {
    const pair = new WebSocketPair();
    const attachment: ClientAttachment = {
      kind: "client",
      sid: randomId(),
      dev: device.id,
      role: device.role,
      hello: false,
      openedAt: Date.now(),
      until: device.expiresAt,
    };
    this.devices.seen(device.id, attachment.openedAt);
    this.audit.record("client_connect", device.id, `role=${device.role} ${sourceTag(source)}`);
    this.ctx.acceptWebSocket(pair[1], ["client", `s:${attachment.sid}`, `d:${device.id}`]);
    pair[1].serializeAttachment(attachment);
    this.track(pair[1], attachment);
    this.metrics.add("clientConnects");
    this.scheduleAlarm();
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  // ---- Frames ----

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void | Promise<void> {
    // Every live socket is tracked (accepted here, or rebuilt in the constructor after a wake-up):
    // an unknown one is a pairing socket or was dropped already, and a frame still in flight is ignored.
    const peer = this.peers.get(ws);
    if (!peer) return this.pairing.onMessage(ws, message);
    if (typeof message !== "string") {
      this.metrics.add("bytesIn", message.byteLength);
      return this.badFrame(peer, "binary frames are not part of the protocol");
    }
    const bytes = utf8Length(message);
    this.metrics.add("bytesIn", bytes);
    const done = peer.kind === "client" ? this.onClientFrame(peer as ClientPeer, message, bytes) : this.onAgentFrame(peer as AgentPeer, message, bytes);
    this.scheduleFlush();
    return done;
  }

  private onClientFrame(peer: ClientPeer, message: string, bytes: number): void | Promise<void> {
    const frame = decodeFrame(message, ClientFrame);
    if (!frame.ok) return this.badFrame(peer, frame.message, frame.id);
    const header = frame.header;
    if (bytes > this.config.maxMessageBytes)
      return this.reject(peer, "too_large", `frame exceeds ${this.config.maxMessageBytes} bytes`, "id" in header ? header.id : undefined);
    if (header.t === "ping") return this.send(peer, PONG_FRAME);
    if (header.t === "hello") return this.clientHello(peer, header.v);
    if (!peer.hello) return this.reject(peer, "hello_required", "send hello first");
    switch (header.t) {
      case "req":
        return this.onRequest(peer, header.id, frame.payload, payloadBytes(message, frame.payload, bytes));
      case "cancel": {
        const entry = this.pending.find(peer.sid, header.id);
        if (!entry) return;
        this.metrics.add("cancels");
        return this.fail(entry, "cancelled", "cancelled by the client", "cancelled");
      }
      case "ack":
        peer.acked = Math.min(peer.sent, Math.max(peer.acked, header.bytes));
        return;
      case "rotate":
        return this.rotate(peer);
    }
  }

  /** A fresh credential for this device, to this socket only (devices.ts has the lifecycle). */
  private async rotate(peer: ClientPeer): Promise<void> {
    const result = await this.devices.rotate(peer.dev, this.meta.get("node_id")!, this.env.ORA_TOKEN_PEPPER!, Date.now());
    if (!result.ok) return this.reject(peer, result.code, result.code === "rate_limited" ? "too many rotations; try later" : "device not active");
    this.audit.record("credential_rotated", peer.dev);
    this.send(peer, encodeFrame({ t: "rotated", credential: result.credential }));
  }

  private clientHello(peer: ClientPeer, version: number): void {
    if (!this.versionOk(peer, version) || peer.hello) return;
    peer.hello = true;
    peer.ws.serializeAttachment(attachmentOf(peer));
    this.sessions.set(peer.sid, peer);
    const online = this.agent?.hello ?? false;
    const rotate = this.devices.rotationDue(peer.dev, Date.now()) ? { rotate: true } : {};
    this.send(
      peer,
      encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, session: peer.sid, device: peer.dev, role: peer.role, online, limits: this.limits(), ...rotate }),
    );
    if (this.agent?.hello) this.send(this.agent, encodeFrame({ t: "session", s: peer.sid, dev: peer.dev, role: peer.role, open: true }));
  }

  private onRequest(peer: ClientPeer, id: string, payload: string | undefined, bytes: number): void {
    const agent = this.agent;
    if (!agent?.hello) return this.reject(peer, "node_offline", "the agent is not connected", id);
    if (this.pending.has(peer.sid, id)) return this.reject(peer, "id_in_use", "a request with this id is already pending", id);
    if (this.pending.size >= this.config.maxPending) return this.reject(peer, "pending_limit", "the Node has too many pending requests", id);
    if (this.pending.sessionCount(peer.sid) >= this.config.maxPendingPerSession) {
      return this.reject(peer, "pending_limit", "this session has too many pending requests", id);
    }
    const now = Date.now();
    const entry = this.pending.add(peer.sid, id, now, now + this.config.timeoutSec * 1000);
    this.metrics.add("requests");
    this.metrics.pending(this.pending.size);
    this.scheduleAlarm(entry.deadline);
    const out = forward({ t: "req", rid: entry.rid, s: peer.sid, dev: peer.dev, role: peer.role }, payload, bytes);
    this.send(agent, out.text, out.bytes);
  }

  private onAgentFrame(peer: AgentPeer, message: string, bytes: number): void {
    const frame = decodeFrame(message, AgentFrame);
    if (!frame.ok) return this.badFrame(peer, frame.message, frame.id);
    const header = frame.header;
    if (bytes > this.config.maxMessageBytes) {
      this.reject(peer, "too_large", `frame exceeds ${this.config.maxMessageBytes} bytes`, "rid" in header ? header.rid : undefined);
      const entry = "rid" in header ? this.pending.get(header.rid) : undefined;
      if (entry) this.fail(entry, "too_large", "the answer exceeds the relay's message size limit", "cancelled");
      return;
    }
    if (header.t === "ping") return this.send(peer, PONG_FRAME);
    if (header.t === "hello") return this.agentHello(peer, header.v);
    if (!peer.hello) return this.reject(peer, "hello_required", "send hello first");
    if (peer !== this.agent) return; // a replaced connection's last words are not forwarded
    const bytesOfPayload = payloadBytes(message, frame.payload, bytes);
    if (header.t === "push") return this.onPush(header.to, frame.payload, bytesOfPayload);
    return this.onAnswer(header.t, header.rid, frame.payload, bytesOfPayload);
  }

  private agentHello(peer: AgentPeer, version: number): void {
    if (!this.versionOk(peer, version) || peer.hello) return;
    peer.hello = true;
    peer.ws.serializeAttachment(attachmentOf(peer));
    const sessions = [...this.sessions.values()].map((s) => ({ s: s.sid, dev: s.dev, role: s.role }));
    this.send(peer, encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, node: this.meta.get("node_id") ?? "", limits: this.limits(), sessions }));
    this.broadcast(encodeFrame({ t: "node", online: true }));
  }

  private onAnswer(t: "res" | "chunk" | "end", rid: number, payload: string | undefined, bytes: number): void {
    const entry = this.pending.get(rid);
    if (!entry) return this.metrics.drop("late_answer");
    const session = this.sessions.get(entry.sid);
    if (!session) {
      this.pending.remove(entry);
      return this.metrics.drop("no_session");
    }
    if (!this.sendData(session, forward({ t, id: entry.id }, payload, bytes)))
      return this.fail(entry, "slow_consumer", "the client is not keeping up with the stream", "slow_consumer");
    const now = Date.now();
    if (t === "chunk") {
      this.metrics.add("chunks");
      this.pending.touch(entry, Math.min(now + this.config.timeoutSec * 1000, entry.startedAt + this.config.streamMaxSec * 1000));
      return;
    }
    this.pending.remove(entry);
    this.metrics.add("answers");
    this.metrics.latency(now - entry.startedAt);
  }

  private onPush(to: string, payload: string | undefined, bytes: number): void {
    const targets = to === "*" ? [...this.sessions.values()] : [this.sessions.get(to)].filter((s) => s !== undefined);
    if (targets.length === 0) return this.metrics.drop("no_session");
    const out = forward({ t: "push" }, payload, bytes);
    for (const session of targets) if (this.sendData(session, out)) this.metrics.add("pushes");
  }

  // ---- Closing, timeouts, clean-up ----

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    if (this.pairing.owns(ws)) await this.pairing.onClose(ws, code);
    else this.dropSocket(ws, code, "closed by peer");
    this.scheduleAlarm();
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    if (this.pairing.owns(ws)) await this.pairing.onClose(ws, CloseCode.INTERNAL);
    else this.dropSocket(ws, CloseCode.INTERNAL, "socket error");
    this.scheduleAlarm();
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    const now = Date.now();
    for (const entry of this.pending.entries()) {
      if (entry.deadline > now) continue;
      this.metrics.add("timeouts");
      this.fail(entry, "timeout", "the agent did not answer in time", "timeout");
    }
    for (const [ws, peer] of this.peers) {
      if (!peer.hello && peer.openedAt + this.config.helloTimeoutSec * 1000 <= now) {
        this.metrics.reject("hello_required");
        this.dropSocket(ws, CloseCode.HELLO_TIMEOUT, "no hello before the deadline");
      } else if (peer.kind === "client" && peer.until !== null && peer.until !== undefined && peer.until <= now) {
        this.dropSocket(ws, CloseCode.UNAUTHORIZED, "the device's credential has expired", "revoked");
      }
    }
    this.pending.flush();
    if (this.metrics.dirty) {
      this.meta.set("metrics", JSON.stringify(this.metrics.counters));
      this.metrics.dirty = false;
    }
    await this.pairing.onAlarm(now);
    this.scheduleAlarm();
  }

  /** Removes a socket and everything that hangs on it: its pending requests, its session, the Node. */
  private dropSocket(ws: WebSocket, code: number, reason: string, cancel: CancelReason = "client_gone"): void {
    const peer = this.forget(ws);
    closeQuietly(ws, code, reason);
    if (!peer) return;
    this.audit.record(peer.kind === "agent" ? "agent_disconnect" : "client_disconnect", peer.kind === "client" ? peer.dev : null, `code=${code}`);
    if (peer.kind === "agent") {
      if (peer === this.agent) {
        this.agent = null;
        this.meta.delete("agent_conn");
        this.nodeGone("the agent disconnected");
      }
      return;
    }
    this.devices.seen(peer.dev, Date.now());
    for (const entry of this.pending.ofSession(peer.sid)) {
      this.pending.remove(entry);
      if (this.agent) this.send(this.agent, encodeFrame({ t: "cancel", rid: entry.rid, reason: cancel }));
    }
    if (peer.hello && this.agent?.hello) this.send(this.agent, encodeFrame({ t: "session", s: peer.sid, dev: peer.dev, role: peer.role, open: false }));
  }

  /** Closes every live session of a device; returns how many there were. */
  private closeDevice(deviceId: string, code: number, reason: string, cancel?: CancelReason): number {
    const sockets = this.ctx.getWebSockets(`d:${deviceId}`);
    for (const ws of sockets) this.dropSocket(ws, code, reason, cancel);
    this.scheduleAlarm();
    return sockets.length;
  }

  /** Every pending request fails with node_offline and every session learns the Node is offline. */
  private nodeGone(message: string): void {
    for (const entry of this.pending.entries()) this.fail(entry, "node_offline", message);
    this.broadcast(encodeFrame({ t: "node", online: false }));
  }

  private fail(entry: PendingEntry, code: ErrorCode, message: string, cancel?: CancelReason): void {
    this.pending.remove(entry);
    this.metrics.reject(code);
    const session = this.sessions.get(entry.sid);
    if (session) this.send(session, encodeFrame({ t: "err", id: entry.id, code, message }));
    if (cancel && this.agent) this.send(this.agent, encodeFrame({ t: "cancel", rid: entry.rid, reason: cancel }));
  }

  /** Sets the alarm to the earliest thing due, or earlier to `at`; never later than what is set. */
  private scheduleAlarm(at?: number): void {
    let next = at;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    if (at === undefined) {
      consider(this.pending.earliestDeadline());
      for (const peer of this.peers.values()) {
        if (!peer.hello) consider(peer.openedAt + this.config.helloTimeoutSec * 1000);
        if (peer.kind === "client" && peer.until !== null) consider(peer.until);
      }
      consider(this.pairing.nextDeadline());
    }
    if (this.metrics.dirty || this.pending.dirty) consider(Date.now() + FLUSH_MS);
    if (next === undefined || (this.alarmAt !== null && this.alarmAt <= next)) return;
    this.alarmAt = next;
    void this.ctx.storage.setAlarm(next);
  }

  /** The per-frame path: only makes sure a write-behind flush is due; never scans. */
  private scheduleFlush(): void {
    if (!this.metrics.dirty && !this.pending.dirty) return;
    const at = Date.now() + FLUSH_MS;
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  // ---- Small helpers ----

  private badFrame(peer: Peer, message: string, id?: unknown): void {
    peer.bad += 1;
    this.reject(peer, "bad_frame", message, id);
    if (peer.bad >= MAX_BAD_FRAMES) this.dropSocket(peer.ws, CloseCode.TOO_MANY_BAD_FRAMES, "too many invalid frames");
  }

  private reject(peer: Peer, code: ErrorCode, message: string, id?: unknown): void {
    this.metrics.reject(code);
    const ref = peer.kind === "client" ? (RequestId.safeParse(id).success ? { id } : {}) : RelayId.safeParse(id).success ? { rid: id } : {};
    this.send(peer, encodeFrame({ t: "err", ...ref, code, message }));
  }

  private versionOk(peer: Peer, version: number): boolean {
    if (version >= MIN_PROTOCOL_VERSION && version <= PROTOCOL_VERSION) return true;
    this.reject(peer, "upgrade_required", `protocol version ${version} is not supported; this relay speaks ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION}`);
    this.dropSocket(peer.ws, CloseCode.UPGRADE_REQUIRED, "protocol version not supported");
    return false;
  }

  /** Data frames to a client respect its flow window; false when the frame was dropped. */
  private sendData(session: ClientPeer, frame: { text: string; bytes: number }): boolean {
    if (session.sent - session.acked + frame.bytes > this.config.windowBytes) {
      this.metrics.drop("slow_consumer");
      return false;
    }
    this.send(session, frame.text, frame.bytes);
    return true;
  }

  private send(peer: Peer, text: string, bytes = utf8Length(text)): void {
    peer.sent += bytes;
    this.metrics.add("bytesOut", bytes);
    try {
      peer.ws.send(text);
    } catch {
      this.metrics.drop("send_failed");
    }
  }

  private broadcast(text: string): void {
    for (const session of this.sessions.values()) this.send(session, text);
  }

  private track(ws: WebSocket, attachment: Attachment): Peer {
    const peer: Peer = { ...attachment, ws, bad: 0, sent: 0, acked: 0 };
    this.peers.set(ws, peer);
    if (peer.kind === "client" && peer.hello) this.sessions.set(peer.sid, peer as ClientPeer);
    return peer;
  }

  private forget(ws: WebSocket): Peer | undefined {
    const peer = this.peers.get(ws);
    this.peers.delete(ws);
    if (peer?.kind === "client") this.sessions.delete(peer.sid);
    return peer;
  }

  private limits() {
    const { helloTimeoutSec: _h, registerLimitPerHour: _r, ...limits } = this.config;
    return limits;
  }

  private async isNode(hash: string): Promise<boolean> {
    const stored = this.meta.get("node_hash");
    return stored !== null && (await sameSecret(stored, hash));
  }
}

function refuse(): Response {
  return Response.json({ code: "unauthorized", message: "credential not accepted" }, { status: 401 });
}
