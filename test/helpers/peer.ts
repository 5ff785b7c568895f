/**
 * Named fake peers on real WebSockets (alice, bob, cathy …). Every wait has a timeout, so a missing
 * frame fails the test with a message instead of hanging it.
 */
import { encodeFrame, PROTOCOL_VERSION, SUBPROTOCOL } from "@ora/protocol";
import WebSocket from "ws";

export interface Frame {
  header: Record<string, any>;
  payload: string | undefined;
  text: string;
}

export class Peer {
  readonly frames: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    readonly name: string,
    readonly ws: WebSocket,
  ) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      const nl = text.indexOf("\n");
      const frame = { header: JSON.parse(nl === -1 ? text : text.slice(0, nl)), payload: nl === -1 ? undefined : text.slice(nl + 1), text };
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The next frame that matches (already received or still to come). */
  next(match: (f: Frame) => boolean = () => true, ms = 5000): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index !== -1) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.name}: no matching frame within ${ms} ms; have ${this.frames.map((f) => f.text.slice(0, 80)).join(" | ") || "nothing"}`));
      }, ms);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** The frame that ends request `id`: res, end or err. */
  outcome(id: string, ms = 5000): Promise<Frame> {
    return this.next((f) => f.header.id === id && ["res", "end", "err"].includes(f.header.t), ms);
  }

  send(text: string | Buffer): void {
    this.ws.send(text);
  }

  request(id: string, method: string, params?: unknown): void {
    this.send(encodeFrame({ t: "req", id }, JSON.stringify({ method, params })));
  }

  async closeAndWait(code = 1000): Promise<void> {
    this.ws.close(code);
    await this.closed;
  }
}

function wsUrl(relay: string, path: string): string {
  const url = new URL(path, relay);
  url.protocol = "ws:";
  return url.href;
}

/** Opens a socket; resolves with the peer once open, or rejects with the HTTP status of a refusal. */
export function open(name: string, relay: string, path: string, credential?: string, via: "header" | "subprotocol" = "header"): Promise<Peer> {
  const protocols = via === "subprotocol" && credential ? [SUBPROTOCOL, `ora.bearer.${credential}`] : [SUBPROTOCOL];
  const headers: Record<string, string> = via === "header" && credential ? { Authorization: `Bearer ${credential}` } : {};
  const ws = new WebSocket(wsUrl(relay, path), protocols, { headers });
  const peer = new Peer(name, ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(peer));
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      reject(Object.assign(new Error(`${name}: HTTP ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once("error", reject);
  });
}

/** A client session that has completed its hello. */
export async function client(name: string, relay: string, credential: string, via: "header" | "subprotocol" = "header"): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, relay, "/v1/client/connect", credential, via);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION }));
  const welcome = await peer.next((f) => f.header.t === "welcome");
  return Object.assign(peer, { welcome });
}

/** A scripted agent connection, for rules the real agent is too well-behaved to exercise. */
export async function scriptedAgent(name: string, relay: string, nodeCredential: string): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, relay, "/v1/node/connect", nodeCredential);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, agent: "scripted" }));
  const welcome = await peer.next((f) => f.header.t === "welcome");
  return Object.assign(peer, { welcome });
}

/** A pairing host (the agent's `pair` command's socket), authenticated with the Node credential. */
export function pairHost(name: string, relay: string, nodeCredential: string): Promise<Peer> {
  return open(name, relay, "/v1/node/pair", nodeCredential);
}

/** A pairing host that has made its offer; `offer` is the relay's answer. */
export async function offeringHost(name: string, relay: string, nodeCredential: string, ttl = 300): Promise<Peer & { offer: Frame }> {
  const host = await pairHost(name, relay, nodeCredential);
  host.send(encodeFrame({ t: "offer", v: PROTOCOL_VERSION, ttl }));
  const offer = await host.next((f) => f.header.t === "offer" || f.header.t === "err");
  if (offer.header.t !== "offer") throw new Error(`${name}: offer refused: ${offer.text}`);
  return Object.assign(host, { offer });
}

/** A claimant's socket for `nameplate` (no credential); it has not claimed yet. */
export function claimant(name: string, relay: string, nameplate: string): Promise<Peer> {
  return open(name, relay, `/v1/pair/${nameplate}`);
}

/** A claimant that has sent its claim; `reply` is the relay's first answer (peer or err). */
export async function claimed(name: string, relay: string, nameplate: string): Promise<Peer & { reply: Frame }> {
  const peer = await claimant(name, relay, nameplate);
  peer.send(encodeFrame({ t: "claim", v: PROTOCOL_VERSION }));
  const reply = await peer.next((f) => f.header.t === "peer" || f.header.t === "err");
  return Object.assign(peer, { reply });
}

export function answer(value: unknown): string {
  return JSON.stringify({ ok: true, result: value });
}

export function until(check: () => boolean | Promise<boolean>, ms = 5000, what = "condition"): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = async () => {
      if (await check()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    void tick();
  });
}
