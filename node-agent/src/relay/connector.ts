/**
 * The agent's one outbound WebSocket to its relay: hello, requests to handlers, cancels, pushes,
 * heartbeats, and reconnection with full-jitter backoff. Requests are executed at most once per relay
 * id, whatever the relay sends. A rejected credential, a replaced connection, a protocol the relay
 * no longer speaks or an agent release older than the relay's minimum stops the connector instead of
 * retrying forever. Every payload to and from a device goes through SecureSessions: opened and sealed
 * end to end, never acted on in clear.
 */
import {
  type AgentReleases,
  CloseCode,
  decodeBinaryFrame,
  decodeFrame,
  binaryFrameHead,
  encodeFrame,
  PING_FRAME,
  PONG_FRAME,
  PROTOCOL_VERSION,
  RelayToAgentFrame,
  SUBPROTOCOL,
  type EventData,
  type EventName,
  type Requester,
  type SessionInfo,
  type AttemptOutcome,
  type BackoffOptions,
  Reconnector,
  type ReconnectState,
} from "@ora/protocol";
import WebSocket from "ws";
import type { PairedDevice } from "../secure/paired-devices.js";
import type { SecureSessions } from "../secure/secure-sessions.js";
import type { HandlerRegistry } from "../handlers.js";
import { userOf } from "../safety/requester.js";
import type { Logger } from "../log.js";
import { AGENT_NAME, AGENT_VERSION } from "../version.js";
import { StreamWindow } from "./stream-window.js";

/** How many relay ids are remembered for at-most-once execution. */
const SEEN_LIMIT = 10_000;

/**
 * The reconnect loop's states (connecting, waiting, stopped), and connected once the relay welcomed
 * us, with the agent releases the relay announced (the newest, the oldest it accepts).
 */
export type ConnectorState = ReconnectState | { status: "connected"; node: string; since: number; releases: AgentReleases };

/** One line of the agent's audit trail for a request from a device (its outcome, never its content). */
export interface RequestAudit {
  event: "session" | "request";
  who: Requester;
  method?: string;
  /** ok, an error code, or why the end-to-end layer refused it */
  status: string;
  durationMs?: number;
}

export interface ConnectorOptions {
  relay: string;
  credential: string;
  handlers: HandlerRegistry;
  secure: SecureSessions;
  log: Logger;
  /** Told of every request and handshake (the safety core writes it to the audit trail). */
  onAudit?: (entry: RequestAudit) => void;
  backoff?: BackoffOptions;
  pingIntervalMs?: number;
  onState?: (state: ConnectorState) => void;
}

export class Connector {
  private socket: WebSocket | null = null;
  private readonly inflight = new Map<number, { controller: AbortController; window?: StreamWindow }>();
  /** Every stream's initial credit, from the relay's welcome (undefined: the relay grants none). */
  private streamWindow: number | undefined;
  /** The relay's welcome said bin: sealed payloads go as binary frames (an older relay refuses them). */
  private binary = false;
  private readonly seen = new Set<number>();
  readonly sessions = new Map<string, SessionInfo>();
  private readonly reconnector: Reconnector;

  constructor(private readonly options: ConnectorOptions) {
    this.reconnector = new Reconnector({ attempt: () => this.connectOnce(), backoff: options.backoff, onState: (state) => this.reconnecting(state) });
  }

  /** Runs until stop() or a fatal refusal; resolves with the final state. */
  run(): Promise<ConnectorState> {
    return this.reconnector.run();
  }

  /** Closes the connection with `reason` (the relay sees it); resolves with the final state. */
  stop(reason = "stopped"): Promise<ConnectorState> {
    const final = this.reconnector.stop();
    this.socket?.close(CloseCode.GOING_AWAY, reason);
    return final;
  }

  /**
   * Sends an unsolicited message to every secured session whose device `to` accepts, sealed for each
   * session separately. Returns how many sessions it went to.
   */
  push<E extends EventName>(event: E, data: EventData<E>, to: (device: PairedDevice) => boolean = () => true): number {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return 0;
    let sent = 0;
    for (const { sid, device } of this.options.secure.secured()) {
      if (!to(device)) continue;
      if (this.sendSealed(socket, { t: "push", to: sid }, sid, { k: "push", body: { event, data } }) !== undefined) sent++;
    }
    return sent;
  }

  /**
   * Seals `message` for session `sid` and sends it under `header`: binary when the relay takes binary
   * frames, as base64url text otherwise. Returns the payload bytes sent (in the form they travel, as
   * the client counts them for stream credit), or undefined when the session has no channel.
   */
  private sendSealed(
    ws: WebSocket,
    header: object,
    sid: string,
    message: { k: "res" | "chunk" | "end"; re: number; body: unknown } | { k: "push"; body: unknown },
  ): number | undefined {
    if (this.binary) {
      const head = binaryFrameHead(header);
      const frame = this.options.secure.sealBytes(sid, message, head.length);
      if (frame === undefined) return undefined;
      frame.set(head);
      ws.send(frame);
      return frame.byteLength - head.length;
    }
    const sealed = this.options.secure.seal(sid, message);
    if (sealed === undefined) return undefined;
    ws.send(encodeFrame(header, sealed));
    return sealed.length;
  }

  private reconnecting(state: ReconnectState): void {
    if (state.status === "waiting") this.options.log.warn("disconnected; reconnecting", { reason: state.reason, retryInMs: state.retryInMs });
    if (state.status === "stopped" && state.fatal) this.options.log.error("stopping", { reason: state.reason });
    this.setState(state);
  }

  private setState(state: ConnectorState): void {
    this.options.onState?.(state);
  }

  /** One connection, from upgrade to close; a credential the relay refuses or a takeover ends the loop. */
  private connectOnce(): Promise<AttemptOutcome> {
    const url = new URL("/v1/node/connect", this.options.relay);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return new Promise((resolve) => {
      let welcomed = false;
      let fatal: string | undefined;
      let lastPong = Date.now();
      const ws = new WebSocket(url, [SUBPROTOCOL], {
        headers: { Authorization: `Bearer ${this.options.credential}` },
        handshakeTimeout: 10_000,
        // Payloads are (or will be) ciphertext, which does not compress: deflate would only cost CPU.
        perMessageDeflate: false,
      });
      this.socket = ws;
      const pingEvery = this.options.pingIntervalMs ?? 25_000;
      const heartbeat = setInterval(() => {
        // No pong for two intervals: the path is dead even if TCP has not noticed yet.
        if (Date.now() - lastPong > 2 * pingEvery) return ws.terminate();
        if (ws.readyState === WebSocket.OPEN) ws.send(PING_FRAME);
      }, pingEvery);
      ws.on("unexpected-response", (_req, res) => {
        if (res.statusCode === 401) fatal = "the relay rejected this Node's credential";
        ws.terminate();
        res.resume();
        resolve(outcome(welcomed, fatal, `HTTP ${res.statusCode}`));
      });
      ws.on("open", () => ws.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, agent: AGENT_NAME, credit: true, bin: true })));
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? "" : data.toString();
        if (text === PONG_FRAME) {
          lastPong = Date.now();
          return;
        }
        const frame = isBinary ? decodeBinaryFrame(bytesOf(data), RelayToAgentFrame) : decodeFrame(text, RelayToAgentFrame);
        if (!frame.ok) return this.options.log.warn("ignoring an invalid frame from the relay", { why: frame.message });
        const header = frame.header;
        switch (header.t) {
          case "welcome":
            welcomed = true;
            lastPong = Date.now();
            this.sessions.clear();
            this.streamWindow = header.limits.streamWindowBytes;
            this.binary = header.bin === true;
            this.options.secure.forgetAll();
            for (const s of header.sessions) this.sessions.set(s.s, s);
            this.options.log.info("connected", { node: header.node, sessions: header.sessions.length });
            return this.setState({
              status: "connected",
              node: header.node,
              since: Date.now(),
              releases: { agentLatest: header.agentLatest, agentMinimum: header.agentMinimum },
            });
          case "session":
            if (header.open) this.sessions.set(header.s, { s: header.s, dev: header.dev, role: header.role, credit: header.credit });
            else {
              this.sessions.delete(header.s);
              this.options.secure.forget(header.s);
            }
            return;
          case "req":
            return void this.execute(ws, header, frame.payload);
          case "cancel":
            this.inflight.get(header.rid)?.controller.abort();
            return;
          case "credit":
            this.inflight.get(header.rid)?.window?.grant(header.bytes);
            return;
          case "err":
            // The close that follows ends the attempt; this says what to install.
            if (header.code === "upgrade_required" && header.rid === undefined) fatal = upgradeRequired(header);
            return this.options.log.warn("relay error", { code: header.code, message: header.message, rid: header.rid });
          case "pong":
            return;
        }
      });
      ws.on("error", (error) => this.options.log.debug("socket error", { error: error.message }));
      ws.on("close", (code, reason) => {
        clearInterval(heartbeat);
        for (const { controller } of this.inflight.values()) controller.abort();
        this.inflight.clear();
        this.options.secure.forgetAll();
        if (code === CloseCode.REPLACED) fatal = "another connection of this Node took over (is a second agent running?)";
        if (code === CloseCode.UPGRADE_REQUIRED) fatal ??= "the relay no longer speaks this protocol version: update ora-agent";
        if (code === CloseCode.UNAUTHORIZED) fatal = "the relay rejected this Node's credential";
        resolve(outcome(welcomed, fatal, `closed ${code}${reason.length ? ` ${reason.toString()}` : ""}`));
      });
    });
  }

  private async execute(
    ws: WebSocket,
    request: { rid: number; s: string; dev: string; role: SessionInfo["role"] },
    payload: string | Uint8Array | undefined,
  ): Promise<void> {
    const { rid, s: sid } = request;
    if (this.seen.has(rid)) return this.options.log.warn("refusing to run a request twice", { rid });
    this.seen.add(rid);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);

    const controller = new AbortController();
    const running: { controller: AbortController; window?: StreamWindow } = { controller };
    this.inflight.set(rid, running);
    const started = performance.now();
    const incoming = await this.options.secure.receive(sid, request.dev, payload);
    if (incoming.kind !== "request") {
      this.inflight.delete(rid);
      if (incoming.kind === "refused") this.options.log.warn("refused a request", { rid, why: incoming.why });
      // Who it claimed to be is all we know of a refused one: the relay's word, marked as such.
      const who = incoming.kind === "handshake" ? incoming.device : { id: request.dev, role: request.role };
      this.audit({ event: "session", who: this.who(sid, who), status: incoming.kind === "handshake" ? "secured" : `refused: ${incoming.why}` });
      // Handshake answers and refusals are the only payloads in clear; neither carries a secret.
      if (!controller.signal.aborted && ws.readyState === WebSocket.OPEN) ws.send(encodeFrame({ t: "res", rid }, JSON.stringify(incoming.answer)));
      return;
    }
    const { device, seq } = incoming;
    const method = incoming.request.method;
    let status = "ok";
    let streamed = false;
    // Sealed when sent, not when emitted: the channel's sequence numbers follow the wire's order.
    const send = (t: "res" | "chunk" | "end", body: unknown): number => {
      if (controller.signal.aborted || ws.readyState !== WebSocket.OPEN) return 0;
      return this.sendSealed(ws, { t, rid }, sid, { k: t, re: seq, body }) ?? 0;
    };
    const credit = this.sessions.get(sid)?.credit ? this.streamWindow : undefined;
    const window = (running.window = new StreamWindow(credit, controller.signal));
    try {
      const answer = await this.options.handlers.dispatch(
        method,
        incoming.request.params,
        { requester: this.who(sid, device), name: device.name },
        {
          signal: controller.signal,
          emit: (chunk) => {
            streamed = true;
            return window.send(() => send("chunk", chunk));
          },
          onUnexpected: (error) => this.options.log.error("handler failed", { rid, error: error instanceof Error ? error.message : String(error) }),
        },
      );
      if (!answer.ok) status = answer.error.code;
      await window.drained();
      send(streamed ? "end" : "res", answer);
    } finally {
      this.inflight.delete(rid);
      if (controller.signal.aborted) status = "cancelled";
      this.audit({ event: "request", who: this.who(sid, device), method, status, durationMs: performance.now() - started });
    }
  }

  private who(session: string, device: { id: string; role: SessionInfo["role"] }): Requester {
    return { device: device.id, role: device.role, user: userOf(device.id, device.role), via: "relay", session };
  }

  private audit(entry: RequestAudit): void {
    try {
      this.options.onAudit?.(entry);
    } catch (error) {
      this.options.log.error("could not write the audit trail", { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** The fatal reason for an `upgrade_required` refusal: the release to install when the relay named one. */
function upgradeRequired(err: AgentReleases & { message: string }): string {
  const install = err.agentLatest ?? err.agentMinimum;
  if (install === undefined) return `the relay no longer speaks this protocol version (${err.message}): update ora-agent`;
  return `the relay requires a newer agent: install ora-agent ${install} (this is ${AGENT_VERSION}); run ora-agent update`;
}

/** A binary message's bytes, whichever form `ws` delivered it in. */
function bytesOf(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function outcome(welcomed: boolean, fatal: string | undefined, reason: string): AttemptOutcome {
  return fatal ? { connected: welcomed, reason: fatal, next: "stop" } : { connected: welcomed, reason };
}
