/**
 * Named fake peers for tests that run inside workerd (alice, bob … talk to the relay through SELF).
 * Every wait has a timeout, so a missing frame fails the test with a message instead of hanging it.
 */
import { encodeFrame, PROTOCOL_VERSION, type Role } from "@ora/protocol";
import { env, runInDurableObject, SELF } from "cloudflare:test";
import type { NodeObjectRpc } from "./env.js";

export const ADMIN_TOKEN = "workerd-test-admin-token";
const WAIT_MS = 2000;

export interface Frame {
  header: Record<string, any>;
  payload: string | undefined;
  text: string;
}

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Peer {
  private readonly unread: Frame[] = [];
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  private readonly closedEvent: Promise<{ code: number; reason: string }>;

  constructor(
    readonly name: string,
    readonly ws: WebSocket,
  ) {
    this.closedEvent = new Promise((resolve) => {
      ws.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason }));
    });
    ws.addEventListener("message", (event) => {
      const text = String(event.data);
      const nl = text.indexOf("\n");
      const frame: Frame = { header: JSON.parse(nl === -1 ? text : text.slice(0, nl)), payload: nl === -1 ? undefined : text.slice(nl + 1), text };
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else {
        this.unread.push(frame);
      }
    });
    ws.accept();
  }

  /** The next frame that matches (already received or still to come). */
  next(match: (f: Frame) => boolean = () => true, ms = WAIT_MS): Promise<Frame> {
    const index = this.unread.findIndex(match);
    if (index !== -1) return Promise.resolve(this.unread.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        const have = this.unread.map((f) => f.text.slice(0, 100)).join(" | ") || "nothing";
        reject(new Error(`${this.name}: no matching frame within ${ms} ms; have ${have}`));
      }, ms);
      const done = (f: Frame) => {
        clearTimeout(timer);
        resolve(f);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** The next frame of type `t`. */
  nextOf(t: string, ms = WAIT_MS): Promise<Frame> {
    return this.next((f) => f.header.t === t, ms);
  }

  /** The frame that ends request `id`: res, end or err. */
  outcome(id: string, ms = WAIT_MS): Promise<Frame> {
    return this.next((f) => f.header.id === id && ["res", "end", "err"].includes(f.header.t), ms);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  request(id: string, payload?: string): void {
    this.send(encodeFrame({ t: "req", id }, payload));
  }

  /**
   * Waits until the relay has handled every frame this peer sent before. The ping carries an extra
   * key, so it is not byte-identical to PING_FRAME: the runtime's auto-response does not answer it and
   * the pong comes from the object itself, after everything queued ahead of it on this socket.
   */
  async sync(ms = WAIT_MS): Promise<void> {
    this.send(JSON.stringify({ t: "ping", sync: true }));
    await this.next((f) => f.header.t === "pong", ms);
  }

  /**
   * Every frame received and not yet consumed, once the relay has caught up with this socket; frames
   * whose type is in `ignore` are discarded instead (an agent's session notices, for instance).
   */
  async drain(ignore: string[] = [], ms = WAIT_MS): Promise<Frame[]> {
    await this.sync(ms);
    return this.unread.splice(0).filter((f) => !ignore.includes(f.header.t));
  }

  closed(ms = WAIT_MS): Promise<{ code: number; reason: string }> {
    return within(this.closedEvent, ms, `${this.name}'s socket to close`);
  }

  async close(code = 1000): Promise<void> {
    this.ws.close(code, "bye");
    await this.closed();
  }
}

export interface Node {
  id: string;
  credential: string;
  stub: DurableObjectStub<NodeObjectRpc>;
}

export interface Device {
  id: string;
  credential: string;
  role: Role;
}

/**
 * A random client address. The relay limits registrations per CF-Connecting-IP (which Cloudflare sets
 * at the edge; through SELF the test sets it): one address per registration keeps tests independent
 * of that limit and of each other.
 */
export function someAddress(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
}

export function registerFrom(address: string): Promise<Response> {
  return SELF.fetch("http://relay/v1/nodes", { method: "POST", headers: { "CF-Connecting-IP": address } });
}

/** A fresh Node (a new random id, so a new Durable Object). */
export async function registerNode(): Promise<Node> {
  const res = await registerFrom(someAddress());
  if (res.status !== 201) throw new Error(`registration failed: HTTP ${res.status} ${await res.text()}`);
  const { nodeId, credential } = await res.json<{ nodeId: string; credential: string }>();
  return { id: nodeId, credential, stub: env.NODE.get(env.NODE.idFromName(nodeId)) };
}

export async function mintDevice(node: Node, name: string, role: Role = "owner"): Promise<Device> {
  const res = await SELF.fetch("http://relay/v1/node/devices", {
    method: "POST",
    headers: { Authorization: `Bearer ${node.credential}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name, role }),
  });
  if (res.status !== 201) throw new Error(`minting ${name} failed: HTTP ${res.status} ${await res.text()}`);
  const { id, credential } = await res.json<{ id: string; credential: string }>();
  return { id, credential, role };
}

export function upgradeRequest(path: "/v1/node/connect" | "/v1/client/connect", credential: string): Promise<Response> {
  return SELF.fetch(`http://relay${path}`, { headers: { Upgrade: "websocket", Authorization: `Bearer ${credential}` } });
}

/** An open socket that has not said hello yet. */
export async function open(name: string, path: "/v1/node/connect" | "/v1/client/connect", credential: string): Promise<Peer> {
  const res = await upgradeRequest(path, credential);
  if (res.status !== 101 || !res.webSocket) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
  return new Peer(name, res.webSocket);
}

/** An agent connection that has completed its hello. */
export async function agent(name: string, node: Node): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, "/v1/node/connect", node.credential);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION, agent: "scripted" }));
  const welcome = await peer.nextOf("welcome");
  return Object.assign(peer, { welcome });
}

/** A client session that has completed its hello. */
export async function client(name: string, device: Device): Promise<Peer & { welcome: Frame }> {
  const peer = await open(name, "/v1/client/connect", device.credential);
  peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION }));
  const welcome = await peer.nextOf("welcome");
  return Object.assign(peer, { welcome });
}

/** A pairing host socket: the agent's `pair` command, authenticated with the Node credential. */
export async function pairHost(name: string, node: Node): Promise<Peer> {
  const res = await SELF.fetch("http://relay/v1/node/pair", { headers: { Upgrade: "websocket", Authorization: `Bearer ${node.credential}` } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
  return new Peer(name, res.webSocket);
}

/** Makes an offer on a host socket; resolves with the relay's answer. */
export async function offer(host: Peer, ttl = 300): Promise<{ nameplate: string; expiresAt: number }> {
  host.send(JSON.stringify({ t: "offer", v: PROTOCOL_VERSION, ttl }));
  const answer = await host.nextOf("offer");
  return { nameplate: answer.header.nameplate, expiresAt: answer.header.expiresAt };
}

/** A claimant's socket for `nameplate`, from `address` (a fresh one by default: see someAddress). */
export async function claimant(name: string, nameplate: string, address = someAddress()): Promise<Peer> {
  const res = await SELF.fetch(`http://relay/v1/pair/${nameplate}`, { headers: { Upgrade: "websocket", "CF-Connecting-IP": address } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`${name}: HTTP ${res.status} ${await res.text()}`);
  return new Peer(name, res.webSocket);
}

/** Runs SQL in the Node's object (tests move times into the past instead of waiting for them). */
export function nodeSql(node: Node, query: string, ...bindings: unknown[]): Promise<Record<string, unknown>[]> {
  return internals(node, (_inner, state) => state.storage.sql.exec(query, ...bindings).toArray());
}

export function adminFetch(path: string, token: string | null = ADMIN_TOKEN): Promise<Response> {
  return SELF.fetch(`http://relay${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
}

/** What NodeObject.metricsSnapshot() returns (worker/src/node/metrics.ts), as far as tests read it. */
export interface Snapshot {
  node: string | null;
  connected: boolean;
  sessions: number;
  pending: number;
  requests: number;
  answers: number;
  timeouts: number;
  rejections: Record<string, number | undefined>;
  drops: Record<string, number | undefined>;
  latencyMs: number[];
  [counter: string]: unknown;
}

export async function metrics(node: Node): Promise<Snapshot> {
  return (await node.stub.metricsSnapshot()) as Snapshot;
}

/**
 * The object's private state, reached on purpose: tests move deadlines into the past instead of
 * sleeping through them. Kept to the few fields the alarm reads.
 */
interface Internals {
  pending: { size: number; entries(): IterableIterator<{ rid: number; deadline: number; startedAt: number }> };
  peers: Map<WebSocket, { hello: boolean; openedAt: number; kind: "agent" | "client"; sid?: string; until?: number | null }>;
}

export function internals<R>(node: Node, callback: (inner: Internals, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(node.stub, (instance, state) => callback(instance as unknown as Internals, state));
}

/** Makes every pending request's deadline due, in memory and in SQLite alike. */
export function expireDeadlines(node: Node): Promise<number> {
  return internals(node, (inner, state) => {
    state.storage.sql.exec("UPDATE pending SET deadline = 0");
    let n = 0;
    for (const entry of inner.pending.entries()) {
      entry.deadline = 0;
      n++;
    }
    return n;
  });
}
