/**
 * A typed client for one session with a Node through the relay: connect, request, stream, cancel,
 * receive pushes. The web client, the terminal client and the tests all use this one implementation.
 * Every payload is sealed end to end (crypto/session.ts): the session's first request is the handshake
 * (version 2, crypto/session-v2.ts; version 1 with an agent that predates it), and it is redone
 * whenever the agent comes back after being offline. It runs wherever a WHATWG
 * WebSocket exists (browsers, Node ≥ 22, workerd); pass `WebSocket` to use another implementation.
 */
import { beginHandshake, NO_SESSION_MESSAGE, type SecureChannel } from "./crypto/session.js";
import { beginHandshakeV2 } from "./crypto/session-v2.js";
import {
  binaryMessage,
  decodeBinaryFrame,
  decodeFrame,
  binaryFrameHead,
  encodeFrame,
  PING_FRAME,
  PONG_FRAME,
  RelayToClientFrame,
  utf8Length,
} from "./frames.js";
import { EVENTS, METHODS, type Chunk, type EventName, type MethodName, type Result } from "./methods/index.js";
import { type ConnectOptions, OraError, type Push, type RequestArgs, type RequestOptions, type Welcome } from "./client-types.js";

export { type ConnectOptions, type DeviceIdentity, OraError, type Push, type RequestArgs, type RequestOptions, type Welcome } from "./client-types.js";
import { AnswerPayload, parsePayload, SealedPush, SealedReply } from "./payload.js";
import { BEARER_SUBPROTOCOL_PREFIX, PROTOCOL_VERSION, SUBPROTOCOL } from "./version.js";

/** A data frame's payload as it arrived: text, or the bytes of a binary frame. */
type Payload = string | Uint8Array | undefined;

interface Pending {
  /** The seq of the sealed request: every sealed reply must name it. */
  seq: number;
  onChunk?: (chunk: unknown) => unknown;
  /** Stream credit: chunk payload bytes taken by the caller, and the credit granted so far. */
  consumed: number;
  granted: number;
  resolve: (result: unknown) => void;
  reject: (error: OraError) => void;
}

export class OraClient {
  private readonly pending = new Map<string, Pending>();
  private readonly pushListeners = new Set<(push: Push) => void>();
  private readonly nodeListeners = new Set<(online: boolean) => void>();
  private readonly closeListeners = new Set<(code: number) => void>();
  private nextId = 1;
  private received = 0;
  private acked = 0;
  /** The handshake in flight or done (single flight), and the channel once it is done. */
  private channel: Promise<SecureChannel> | undefined;
  private current: SecureChannel | undefined;
  online: boolean;

  private constructor(
    private readonly socket: WebSocket,
    readonly welcome: Welcome,
    welcomeText: string,
    private readonly options: ConnectOptions,
  ) {
    this.online = welcome.online;
    this.acknowledge(utf8Length(welcomeText));
    socket.addEventListener("message", (event) => this.onMessage(event.data));
    socket.addEventListener("close", (event) => this.closed(event.code));
    if (welcome.rotate && options.onCredentialRotated) socket.send(encodeFrame({ t: "rotate" }));
    if (welcome.online) this.secureEarly();
  }

  /**
   * Handshakes as soon as the agent is there rather than at the first request: the agent can only
   * push (approval requests, for one) to sessions it shares keys with. A failure here is not lost:
   * the next request tries again and reports it.
   */
  private secureEarly(): void {
    this.secureChannel().catch(() => undefined);
  }

  static connect(options: ConnectOptions): Promise<OraClient> {
    const Impl = options.WebSocket ?? globalThis.WebSocket;
    const url = new URL("/v1/client/connect", options.identity.relay);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const socket = new Impl(url, [SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX + options.identity.credential]);
    // Binary data frames as bytes, not as a Blob that could only be read asynchronously (and out of order).
    socket.binaryType = "arraybuffer";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new OraError("timeout", "no welcome from the relay")), options.timeoutMs ?? 10_000);
      const detach = () => {
        clearTimeout(timer);
        socket.removeEventListener("message", onFirst);
        socket.removeEventListener("close", onEarlyClose);
        socket.removeEventListener("error", onError);
      };
      const fail = (error: OraError) => {
        detach();
        socket.close();
        reject(error);
      };
      const onFirst = (event: MessageEvent) => {
        if (typeof event.data !== "string") return fail(new OraError("bad_frame", "the relay's first frame is not text"));
        const text = event.data;
        const frame = decodeFrame(text, RelayToClientFrame);
        if (!frame.ok) return fail(new OraError("bad_frame", frame.message));
        if (frame.header.t === "err") return fail(new OraError(frame.header.code, frame.header.message));
        if (frame.header.t !== "welcome") return;
        detach();
        const { t: _t, v: _v, ...welcome } = frame.header;
        resolve(new OraClient(socket, welcome, text, options));
      };
      // A refused upgrade (bad credential) reaches a WHATWG WebSocket only as a close without a frame.
      const onEarlyClose = (event: CloseEvent) =>
        fail(new OraError(event.code === 1006 ? "unauthorized" : "node_offline", `connection closed (${event.code})`));
      // Browsers report a refused upgrade as error then close 1006; Node's WebSocket may give only the error.
      const onError = () => fail(new OraError("unauthorized", "the relay refused the connection (revoked or expired credential?) or cannot be reached"));
      socket.addEventListener("message", onFirst);
      socket.addEventListener("close", onEarlyClose);
      socket.addEventListener("error", onError);
      socket.addEventListener("open", () => socket.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, credit: true, bin: true })));
    });
  }

  /**
   * Calls one method of the catalogue and resolves with its result, parsed with the catalogue's
   * schema (so is every chunk): an answer of the wrong shape rejects with `bad_answer` rather than
   * reaching the caller. Relay and agent refusals reject with OraError.
   */
  async request<M extends MethodName>(method: M, ...[params, options = {}]: RequestArgs<M>): Promise<Result<M>> {
    const spec = METHODS[method];
    const chunkSchema = "chunk" in spec ? spec.chunk : undefined;
    const onChunk = options.onChunk;
    const raw = await this.call(method, params, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onChunk
        ? {
            onChunk: (chunk: unknown) => {
              const parsed = chunkSchema?.safeParse(chunk);
              if (parsed?.success) return onChunk(parsed.data as Chunk<M>);
              throw new OraError("bad_answer", `the agent streamed a ${method} chunk this client does not understand`);
            },
          }
        : {}),
    });
    const parsed = spec.result.safeParse(raw);
    if (!parsed.success) throw new OraError("bad_answer", `the agent's answer to ${method} does not match the protocol`);
    return parsed.data as Result<M>;
  }

  /**
   * Any method by name, result unchecked: for tools that pass a method through (the terminal client's
   * `remote call`) and for tests of the agent's refusals. Applications use request().
   */
  async call(method: string, params?: unknown, options: RequestOptions = {}): Promise<unknown> {
    const channel = await this.secureChannel();
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(new OraError("cancelled", "cancelled before sending"));
      const onAbort = () => this.socket.send(encodeFrame({ t: "cancel", id }));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => options.signal?.removeEventListener("abort", onAbort);
      const { frame, seq } = this.sealed(channel, { t: "req", id }, { k: "req", body: { method, params } });
      const window = this.welcome.limits.streamWindowBytes ?? 0;
      this.pending.set(id, {
        seq,
        onChunk: options.onChunk,
        consumed: 0,
        granted: window,
        resolve: (value) => (done(), resolve(value)),
        reject: (error) => (done(), reject(error)),
      });
      this.socket.send(frame);
    });
  }

  /** A sealed request frame: binary when the relay takes binary frames, base64url text otherwise. */
  private sealed(channel: SecureChannel, header: object, message: unknown): { frame: string | Uint8Array<ArrayBuffer>; seq: number } {
    if (this.welcome.bin) {
      const head = binaryFrameHead(header);
      const { bytes, seq } = channel.sealBytes(message, head.length);
      bytes.set(head);
      return { frame: bytes as Uint8Array<ArrayBuffer>, seq };
    }
    const { payload, seq } = channel.seal(message);
    return { frame: encodeFrame(header, payload), seq };
  }

  /**
   * The session's end-to-end channel, handshaking first when there is none: at the start, and again
   * after the agent was offline (its keys for this session died with its connection).
   */
  private secureChannel(): Promise<SecureChannel> {
    if (!this.channel) {
      const channel = (this.channel = this.handshake());
      channel.then(
        (ready) => this.channel === channel && (this.current = ready),
        () => this.channel === channel && (this.channel = undefined),
      );
    }
    return this.channel;
  }

  private async handshake(): Promise<SecureChannel> {
    const { identity } = this.options;
    const keys = { device: identity.device, deviceKey: identity.key, agentPublicKey: identity.agentPublicKey };
    const v2 = await beginHandshakeV2(keys);
    const answer = await this.exchange(v2.hello);
    const refusal = AnswerPayload.safeParse(answer);
    if (refusal.success && !refusal.data.ok && refusal.data.error.message === NO_SESSION_MESSAGE) {
      // An agent from before version 2 takes our hello for a request without a handshake: speak
      // version 1 to it. (An agent that knows version 2 never answers a version 2 hello this way.)
      const v1 = beginHandshake(keys);
      return this.finish(await this.exchange(v1.hello), v1.finish);
    }
    return this.finish(answer, v2.finish);
  }

  /** Sends a handshake hello as the session's next request and waits for the answer, in clear. */
  private exchange(hello: object): Promise<unknown> {
    const id = `hs${this.nextId++}`;
    const answer = new Promise<unknown>((resolve, reject) => this.pending.set(id, { seq: 0, consumed: 0, granted: 0, resolve, reject }));
    this.socket.send(encodeFrame({ t: "req", id }, JSON.stringify(hello)));
    return answer;
  }

  private async finish(answer: unknown, finish: (answer: unknown) => Promise<SecureChannel>): Promise<SecureChannel> {
    // The agent's refusal (an unknown or removed device) comes in clear; say what it said.
    const refusal = AnswerPayload.safeParse(answer);
    if (refusal.success && !refusal.data.ok) throw new OraError("handshake_failed", refusal.data.error.message);
    try {
      return await finish(answer);
    } catch (error) {
      throw new OraError("handshake_failed", (error as Error).message);
    }
  }

  onPush(listener: (push: Push) => void): () => void {
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
    this.forgetChannel();
    for (const [id, entry] of this.pending) {
      this.pending.delete(id);
      entry.reject(new OraError("node_offline", `connection closed (${code})`));
    }
    for (const listener of this.closeListeners) listener(code);
  }

  private onMessage(data: unknown): void {
    const bytes = binaryMessage(data);
    let frame: ReturnType<typeof decodeFrame<RelayToClientFrame>> | ReturnType<typeof decodeBinaryFrame<RelayToClientFrame>>;
    if (bytes) {
      this.acknowledge(bytes.byteLength);
      frame = decodeBinaryFrame(bytes, RelayToClientFrame);
    } else {
      const text = String(data);
      if (text !== PONG_FRAME) this.acknowledge(utf8Length(text));
      frame = decodeFrame(text, RelayToClientFrame);
    }
    if (!frame.ok) return;
    const header = frame.header;
    switch (header.t) {
      case "res":
      case "end":
      case "chunk":
        return this.reply(header.t, header.id, frame.payload);
      case "err": {
        if (header.id === undefined) return;
        const entry = this.pending.get(header.id);
        this.pending.delete(header.id);
        return entry?.reject(new OraError(header.code, header.message));
      }
      case "push":
        return this.push(frame.payload);
      case "node":
        this.online = header.online;
        // The agent's session keys die with its connection: handshake again on the next request.
        if (!header.online) this.forgetChannel();
        else this.secureEarly();
        for (const listener of this.nodeListeners) listener(header.online);
        return;
      case "rotated":
        void this.options.onCredentialRotated?.(header.credential);
        return;
    }
  }

  private forgetChannel(): void {
    this.channel = undefined;
    this.current = undefined;
  }

  private push(payload: Payload): void {
    const sealed = SealedPush.safeParse(this.open(payload));
    if (!sealed.success) return; // a push that is not sealed by our agent is dropped unseen
    const { event, data } = sealed.data.body;
    if (!Object.hasOwn(EVENTS, event)) return; // an event this client does not know (a newer agent)
    const parsed = EVENTS[event as EventName].data.safeParse(data);
    if (!parsed.success) return;
    const push = { event, data: parsed.data } as Push;
    for (const listener of this.pushListeners) listener(push);
  }

  /** Opens a sealed payload (text or bytes) with the current channel; undefined for anything that does not open. */
  private open(payload: Payload): unknown {
    if (payload === undefined || !this.current) return undefined;
    try {
      return (typeof payload === "string" ? this.current.open(payload) : this.current.openBytes(payload)).message;
    } catch {
      return undefined;
    }
  }

  private reply(kind: "res" | "end" | "chunk", id: string, payload: Payload): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    if (entry.seq === 0) {
      // The handshake's answer is the one payload in clear; the handshake itself authenticates it.
      this.pending.delete(id);
      return entry.resolve(parsePayload(payload));
    }
    const sealed = SealedReply.safeParse(this.open(payload));
    if (!sealed.success || sealed.data.k !== kind || sealed.data.re !== entry.seq) {
      // Forged, altered or misdirected, or the agent's refusal (in clear) of a request that did not
      // open on its side. The channel itself is unharmed (a frame that fails changes no state), so
      // other requests in flight go on.
      this.pending.delete(id);
      return entry.reject(new OraError("tampered", "an answer failed end-to-end verification"));
    }
    if (kind === "chunk") {
      // Stream credit counts the payload in the form it travelled: text characters or binary bytes.
      const bytes = typeof payload === "string" ? payload.length : (payload?.byteLength ?? 0);
      // The caller could not take this chunk (request() parses each with the catalogue): the
      // request ends here for the caller, and the agent is told to stop.
      const refuse = (error: unknown) => {
        if (this.pending.get(id) !== entry) return;
        this.pending.delete(id);
        this.socket.send(encodeFrame({ t: "cancel", id }));
        entry.reject(error instanceof OraError ? error : new OraError("bad_answer", "a streamed chunk could not be handled"));
      };
      try {
        const taken = entry.onChunk?.(sealed.data.body);
        if (taken instanceof Promise) taken.then(() => this.consume(id, entry, bytes), refuse);
        else this.consume(id, entry, bytes);
      } catch (error) {
        refuse(error);
      }
      return;
    }
    this.pending.delete(id);
    const answer = AnswerPayload.safeParse(sealed.data.body);
    if (!answer.success) return entry.reject(new OraError("bad_frame", "the agent sent an answer that is not valid"));
    if (answer.data.ok) entry.resolve(answer.data.result);
    else entry.reject(new OraError(answer.data.error.code, answer.data.error.message));
  }

  /**
   * Stream credit (docs/PROTOCOL.md, flow control): once the caller took half a window since the
   * last grant, the agent may go a whole window past what was taken.
   */
  private consume(id: string, entry: Pending, bytes: number): void {
    const window = this.welcome.limits.streamWindowBytes;
    entry.consumed += bytes;
    if (window === undefined || this.pending.get(id) !== entry || entry.granted - entry.consumed > window / 2) return;
    entry.granted = entry.consumed + window;
    this.socket.send(encodeFrame({ t: "credit", id, bytes: entry.granted }));
  }

  /**
   * Flow control: tell the relay what has been consumed (frames as they travelled: UTF-8 bytes of
   * text, the length of binary), at least every quarter window.
   */
  private acknowledge(bytes: number): void {
    this.received += bytes;
    if (this.received - this.acked >= this.welcome.limits.windowBytes / 4) {
      this.acked = this.received;
      this.socket.send(encodeFrame({ t: "ack", bytes: this.received }));
    }
  }
}
