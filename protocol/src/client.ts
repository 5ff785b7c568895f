/**
 * A typed client for one session with a Node through the relay: connect, request, stream, cancel,
 * receive pushes. The web client, the terminal client and the tests all use this one implementation.
 * It runs wherever a WHATWG WebSocket exists (browsers, Node ≥ 22, workerd); pass `WebSocket` to use
 * another implementation.
 */
import type { ErrorCode } from "./errors.js";
import { decodeFrame, encodeFrame, PING_FRAME, PONG_FRAME, RelayToClientFrame, utf8Length } from "./frames.js";
import type { Limits, Role } from "./frames.js";
import { AnswerPayload, parsePayload } from "./payload.js";
import type { AppErrorCode } from "./payload.js";
import { BEARER_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL } from "./version.js";

export class OraError extends Error {
  constructor(
    readonly code: ErrorCode | AppErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "OraError";
  }
}

export interface ConnectOptions {
  /** The relay's base URL, e.g. http://127.0.0.1:8787 or https://relay.example. */
  relay: string;
  /** The device credential (ora_dev_…). It travels in a header, never in the URL. */
  credential: string;
  WebSocket?: typeof WebSocket;
  /** How long to wait for the relay's welcome. */
  timeoutMs?: number;
}

export interface Welcome {
  session: string;
  device: string;
  role: Role;
  online: boolean;
  limits: Limits;
}

interface Pending {
  onChunk?: (chunk: unknown) => void;
  resolve: (result: unknown) => void;
  reject: (error: OraError) => void;
}

export class OraClient {
  private readonly pending = new Map<string, Pending>();
  private readonly pushListeners = new Set<(payload: unknown) => void>();
  private readonly nodeListeners = new Set<(online: boolean) => void>();
  private readonly closeListeners = new Set<(code: number) => void>();
  private nextId = 1;
  private received = 0;
  private acked = 0;
  online: boolean;

  private constructor(
    private readonly socket: WebSocket,
    readonly welcome: Welcome,
    welcomeText: string,
  ) {
    this.online = welcome.online;
    this.acknowledge(welcomeText);
    socket.addEventListener("message", (event) => this.onMessage(String(event.data)));
    socket.addEventListener("close", (event) => this.closed(event.code));
  }

  static connect(options: ConnectOptions): Promise<OraClient> {
    const Impl = options.WebSocket ?? globalThis.WebSocket;
    const url = new URL("/v1/client/connect", options.relay);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new Impl(url, [SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + options.credential]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new OraError("timeout", "no welcome from the relay")), options.timeoutMs ?? 10_000);
      const detach = () => {
        clearTimeout(timer);
        socket.removeEventListener("message", onFirst);
        socket.removeEventListener("close", onEarlyClose);
      };
      const fail = (error: OraError) => {
        detach();
        socket.close();
        reject(error);
      };
      const onFirst = (event: MessageEvent) => {
        const text = String(event.data);
        const frame = decodeFrame(text, RelayToClientFrame);
        if (!frame.ok) return fail(new OraError("bad_frame", frame.message));
        if (frame.header.t === "err") return fail(new OraError(frame.header.code, frame.header.message));
        if (frame.header.t !== "welcome") return;
        detach();
        const { t: _t, v: _v, ...welcome } = frame.header;
        resolve(new OraClient(socket, welcome, text));
      };
      // A refused upgrade (bad credential) reaches a WHATWG WebSocket only as a close without a frame.
      const onEarlyClose = (event: CloseEvent) =>
        fail(new OraError(event.code === 1006 ? "unauthorized" : "node_offline", `connection closed (${event.code})`));
      socket.addEventListener("message", onFirst);
      socket.addEventListener("close", onEarlyClose);
      socket.addEventListener("open", () => socket.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION })));
    });
  }

  /** Sends one request and resolves with its result; relay and agent refusals reject with OraError. */
  request(method: string, params?: unknown, options: { signal?: AbortSignal; onChunk?: (chunk: unknown) => void } = {}): Promise<unknown> {
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new OraError("cancelled", "cancelled before sending"));
      const onAbort = () => this.socket.send(encodeFrame({ t: "cancel", id }));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => options.signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        onChunk: options.onChunk,
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      });
      this.socket.send(encodeFrame({ t: "req", id }, JSON.stringify({ method, params })));
    });
  }

  onPush(listener: (payload: unknown) => void): () => void {
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  onNodeStatus(listener: (online: boolean) => void): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  onClose(listener: (code: number) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Sends a heartbeat; the relay's runtime answers it without waking the relay. */
  ping(): void {
    this.socket.send(PING_FRAME);
  }

  close(): void {
    this.socket.close(1000, "bye");
  }

  private closed(code: number): void {
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(new OraError("node_offline", `connection closed (${code})`));
    }
    for (const listener of this.closeListeners) listener(code);
  }

  private onMessage(text: string): void {
    this.acknowledge(text);
    const frame = decodeFrame(text, RelayToClientFrame);
    if (!frame.ok) return;
    const header = frame.header;
    switch (header.t) {
      case "res":
      case "end":
        return this.settle(header.id, frame.payload);
      case "chunk":
        return this.pending.get(header.id)?.onChunk?.(parsePayload(frame.payload));
      case "err": {
        if (header.id === undefined) return;
        const entry = this.pending.get(header.id);
        this.pending.delete(header.id);
        return entry?.reject(new OraError(header.code, header.message));
      }
      case "push":
        for (const listener of this.pushListeners) listener(parsePayload(frame.payload));
        return;
      case "node":
        this.online = header.online;
        for (const listener of this.nodeListeners) listener(header.online);
        return;
    }
  }

  private settle(id: string, payload: string | undefined): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    const answer = AnswerPayload.safeParse(parsePayload(payload));
    if (!answer.success) return entry.reject(new OraError("bad_frame", "the agent sent an answer that is not valid"));
    if (answer.data.ok) entry.resolve(answer.data.result);
    else entry.reject(new OraError(answer.data.error.code, answer.data.error.message));
  }

  /** Flow control: tell the relay what has been consumed, at least every quarter window. */
  private acknowledge(text: string): void {
    if (text === PONG_FRAME) return;
    this.received += utf8Length(text);
    if (this.received - this.acked >= this.welcome.limits.windowBytes / 4) {
      this.acked = this.received;
      this.socket.send(encodeFrame({ t: "ack", bytes: this.received }));
    }
  }
}
