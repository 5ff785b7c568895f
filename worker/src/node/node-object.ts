/**
 * One Durable Object per Node: a thin shell around the mux core (mux/mux.ts, the rules) and the
 * pairing of new devices (pairing.ts). It accepts the WebSockets the Worker forwards, hands each
 * frame to the part that owns the socket, and lends both parts its storage and its one alarm. It also
 * holds the Node's Web Push gateway (push/) and its reminder deposits (deposits/), which the same
 * alarm sends when they are due.
 *
 * WebSocket Hibernation API only: per-socket state lives in attachments, pending requests, offers and
 * counters in SQLite, and every deadline is driven by the one alarm. Heartbeats are answered by the
 * runtime's auto-response, so an idle Node never wakes us. Every socket belongs to exactly one part,
 * chosen by the path it was accepted on and kept in its tag ("agent" and "client" for the mux, PAIR_TAG
 * for pairing), so that the object rebuilt after a wake-up finds each socket's owner again.
 */
import { DurableObject } from "cloudflare:workers";
import { CloseCode, PING_FRAME, PONG_FRAME, SUBPROTOCOL, type CancelReason, type PushMessageBody } from "@ora/protocol";
import { sameSecret } from "../credentials.js";
import { DEPOSIT_UNAUTHORIZED, Deposits, type DepositCall, type DepositResult } from "../deposits/deposits.js";
import { DepositStore } from "../deposits/store.js";
import { credentialConfig, depositConfig, maxSessions, pushConfig, relayConfig, type Env } from "../env.js";
import { CREDENTIAL_HASH_HEADER, NAMEPLATE_HEADER, SOURCE_HEADER } from "../internal-headers.js";
import { migrate } from "../migrate.js";
import { Mux } from "../mux/mux.js";
import type { Attachment } from "../mux/peers.js";
import type { MuxPort } from "../mux/ports.js";
import { PUSH_UNAUTHORIZED, PushGateway, type PushCall, type PushResult } from "../push/gateway.js";
import { PushStore } from "../push/store.js";
import { refuseSocket } from "../admission.js";
import { AuditLog } from "./audit.js";
import { DeviceStore, type Device } from "./devices.js";
import { LOCKED_DOWN_MESSAGE, NodeLockdown, type LockdownCall } from "./lockdown.js";
import { MetaStore } from "./meta.js";
import { nodeRecords, SqlMuxStore } from "./mux-store.js";
import { Pairing } from "./pairing.js";
import { SESSION_LIMIT_MESSAGE, SessionCap } from "./session-cap.js";
import { NODE_MIGRATIONS } from "./schema.js";
import { closeQuietly, sendQuietly } from "./sockets.js";
import { OwnerApi, UNAUTHORIZED, type DeviceResult, type OwnerCall } from "./owner-api.js";

const AGENT_TAG = "agent";
const CLIENT_TAG = "client";

export class NodeObject extends DurableObject<Env> {
  private readonly meta: MetaStore;
  private readonly devices: DeviceStore;
  private readonly audit: AuditLog;
  private readonly pairing: Pairing;
  private readonly ownerApi: OwnerApi;
  private readonly mux: Mux<WebSocket>;
  private readonly pushes: PushGateway;
  private readonly deposits: Deposits;
  private readonly lockdown: NodeLockdown;
  private readonly sessionCap: SessionCap;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    migrate(sql, NODE_MIGRATIONS);
    this.meta = new MetaStore(sql);
    this.devices = new DeviceStore(sql, credentialConfig(env));
    this.audit = new AuditLog(sql);
    const nodeId = () => this.meta.get("node_id") ?? "";
    const wakeBy = (at: number) => this.wakeBy(at);
    this.sessionCap = new SessionCap(this.meta, maxSessions(env));
    this.lockdown = new NodeLockdown(this.meta, this.audit, (keep, code, reason) => this.closeClients(keep, code, reason));
    this.pairing = new Pairing(ctx, env, this.audit, nodeId, wakeBy, () => this.lockdown.refusesPairing());
    this.ownerApi = new OwnerApi(this.devices, this.audit, nodeId, env.ORA_TOKEN_PEPPER!, (...args) => this.closeDevice(...args));
    const pushDeps = { fetch: (url: string, init: RequestInit) => fetch(url, init), sleep: (ms: number) => scheduler.wait(ms), now: Date.now };
    const push = pushConfig(env);
    this.pushes = new PushGateway(new PushStore(sql), this.devices, this.audit, push, pushDeps);
    const send = (device: string, message: PushMessageBody, subject: string) => this.pushes.send(device, message, subject);
    this.deposits = new Deposits(new DepositStore(sql), depositConfig(env, push), { now: () => Date.now(), send, wakeBy });
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    const port: MuxPort<WebSocket> = {
      send: sendQuietly,
      close: closeQuietly,
      save: (ws, attachment) => ws.serializeAttachment(attachment),
      wakeBy,
      now: () => Date.now(),
    };
    const open = [...ctx.getWebSockets(AGENT_TAG), ...ctx.getWebSockets(CLIENT_TAG)].map((ws) => [ws, ws.deserializeAttachment() as Attachment] as const);
    const records = nodeRecords(this.devices, this.audit, nodeId, env.ORA_TOKEN_PEPPER!);
    this.mux = new Mux(relayConfig(env), port, new SqlMuxStore(sql, this.meta), records, open);
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
      // The alarm lives in storage and survives hibernation; this covers one that was lost (or never
      // set by an older relay) so that a held deposit is never left without a wake-up.
      const due = this.deposits.nextDue();
      if (due !== undefined) this.wakeBy(due);
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

  /** Reminder deposits (deposits/deposits.ts), for a caller holding the Node's credential. */
  async deposit(nodeHash: string, call: DepositCall): Promise<DepositResult<unknown>> {
    return (await this.isNode(nodeHash)) ? this.deposits.call(call) : DEPOSIT_UNAUTHORIZED;
  }

  /** Lockdown (lockdown.ts), for a caller holding the Node's credential. */
  async lockdownCall(nodeHash: string, call: LockdownCall): Promise<DeviceResult<unknown>> {
    if (!(await this.isNode(nodeHash))) return UNAUTHORIZED;
    if (call.op === "set") await this.pairing.refuseAll("locked_down", LOCKED_DOWN_MESSAGE);
    return this.lockdown.call(call);
  }

  /** The audit trail for the operator, whose token the Worker has checked. */
  operatorAudit(limit: number, before?: number): DeviceResult<unknown> {
    return this.ownerApi.auditPage(limit, before);
  }

  metricsSnapshot(): Record<string, unknown> {
    return {
      node: this.meta.get("node_id"),
      ...this.mux.snapshot(),
      push: this.pushes.counters(),
      deposits: this.deposits.counters(),
      lockdown: this.lockdown.counters(),
      sessionCap: this.sessionCap.counters(),
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
      if (!device) return refuse();
      // Readable by a browser, which cannot see a refused upgrade's status: an err frame, then 4012.
      if (this.lockdown.refusesSession(device.id)) return refuseSocket(request, "locked_down", LOCKED_DOWN_MESSAGE, CloseCode.LOCKED_DOWN);
      // Every open client socket counts, hello or not: each holds the object's memory alike.
      if (this.sessionCap.refuses(this.ctx.getWebSockets(CLIENT_TAG).length))
        return refuseSocket(request, "session_limit", SESSION_LIMIT_MESSAGE, CloseCode.TRY_AGAIN_LATER);
      return this.acceptClient(device, headers, source);
    }
    return new Response(null, { status: 404 });
  }

  private acceptAgent(headers: HeadersInit, source: string | null): Response {
    const pair = new WebSocketPair();
    const attachment = this.mux.openAgent(pair[1], source);
    this.ctx.acceptWebSocket(pair[1], [AGENT_TAG]);
    pair[1].serializeAttachment(attachment);
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  private acceptClient(device: Device, headers: HeadersInit, source: string | null): Response {
    const pair = new WebSocketPair();
    const attachment = this.mux.openClient(pair[1], device, source);
    // `d:` finds a device's sessions when it is revoked (closeDevice).
    this.ctx.acceptWebSocket(pair[1], [CLIENT_TAG, `s:${attachment.sid}`, `d:${device.id}`]);
    pair[1].serializeAttachment(attachment);
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  // ---- Socket events, each to the part that owns the socket ----

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void | Promise<void> {
    const peer = this.mux.peer(ws);
    if (peer) return this.mux.onMessage(peer, message);
    if (this.pairing.owns(ws)) return this.pairing.onMessage(ws, message);
    // Owned by neither: a socket already dropped, whose last frames are still arriving. They are ignored.
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    if (this.mux.peer(ws)) this.mux.onClose(ws, code);
    else if (this.pairing.owns(ws)) await this.pairing.onClose(ws, code);
    else closeQuietly(ws, code, "closed by peer");
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    if (this.mux.peer(ws)) this.mux.onError(ws);
    else if (this.pairing.owns(ws)) await this.pairing.onClose(ws, CloseCode.INTERNAL);
    else closeQuietly(ws, CloseCode.INTERNAL, "socket error");
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.mux.onAlarm();
    await this.pairing.onAlarm(Date.now());
    const next = this.pairing.nextDeadline();
    if (next !== undefined) this.wakeBy(next);
    // Last: its pushes may take seconds, and the deadlines above come first. It arms its own next wake-up.
    await this.deposits.onAlarm();
  }

  /** Sets the one alarm to `at` unless it is already set to go off no later than that. */
  private wakeBy(at: number): void {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Closes every live session of a device; returns how many there were. */
  private closeDevice(deviceId: string, code: number, reason: string, cancel?: CancelReason): number {
    const sockets = this.ctx.getWebSockets(`d:${deviceId}`);
    for (const ws of sockets) this.mux.close(ws, code, reason, cancel);
    return sockets.length;
  }

  /** Closes every client session but those of device `keep`; returns how many it closed. */
  private closeClients(keep: string | null, code: number, reason: string): number {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(CLIENT_TAG)) {
      if (keep !== null && this.ctx.getTags(ws).includes(`d:${keep}`)) continue;
      this.mux.close(ws, code, reason, "client_gone");
      closed++;
    }
    return closed;
  }

  private async isNode(hash: string): Promise<boolean> {
    const stored = this.meta.get("node_hash");
    return stored !== null && (await sameSecret(stored, hash));
  }
}

function refuse(): Response {
  return Response.json({ code: "unauthorized", message: "credential not accepted" }, { status: 401 });
}
