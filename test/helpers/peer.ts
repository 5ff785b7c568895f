/**
 * Dials the relay from Node with the `ws` library and wraps each socket in the shared fake peer
 * (fake-peer.ts): every wait has a timeout.
 */
import { encodeFrame, PROTOCOL_VERSION, SUBPROTOCOL } from "@ora/protocol";
import WebSocket from "ws";
import { FakePeer, within, WAIT_MS, type Frame } from "./fake-peer.js";

export type { Frame };

/**
 * `ws` reports a close once the TCP connection ends, and for a close the relay starts, local workerd
 * ends it only when the object next hibernates, about 10 s later: the close frame itself comes at once.
 */
const CLOSE_WAIT_MS = 20_000;

/** A fake peer on a `ws` socket, which tests may also drive directly (`peer.ws`). */
export class Peer extends FakePeer<WebSocket> {
  constructor(name: string, ws: WebSocket) {
    super(name, ws, WAIT_MS, CLOSE_WAIT_MS);
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
  const opened = new Promise<Peer>((resolve, reject) => {
    ws.once("open", () => resolve(peer));
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      reject(Object.assign(new Error(`${name}: HTTP ${res.statusCode}`), { status: res.statusCode }));
    });
    ws.once("error", reject);
  });
  return within(opened, WAIT_MS, `${name}'s socket to open`);
}

/**
 * A client session that has completed its hello. It speaks the text protocol only, like a client from
 * before binary frames, unless `hello` adds `bin: true`.
 */
export async function client(
  name: string,
  relay: string,
  credential: string,
  via: "header" | "subprotocol" = "header",
  hello: object = {},
): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, relay, "/v1/client/connect", credential, via);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, ...hello }));
  const welcome = await peer.next((f) => f.header.t === "welcome");
  return Object.assign(peer, { welcome });
}

/**
 * A scripted agent connection, for rules the real agent is too well-behaved to exercise. It speaks the
 * text protocol only, like an agent from before binary frames, unless `hello` adds `bin: true`.
 */
export async function scriptedAgent(name: string, relay: string, nodeCredential: string, hello: object = {}): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, relay, "/v1/node/connect", nodeCredential);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, agent: "scripted", ...hello }));
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
