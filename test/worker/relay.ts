/**
 * Named fake peers for tests that run inside workerd (alice, bob … talk to the relay through SELF),
 * on the shared fake-peer helper: every wait has a timeout.
 */
import { encodeFrame, PROTOCOL_VERSION, type Role } from "@ora/protocol";
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { FakePeer, type Frame } from "../helpers/fake-peer.js";
import type { NodeObjectRpc } from "./env.js";

export const ADMIN_TOKEN = "workerd-test-admin-token";
/** Inside workerd a frame that is coming arrives within milliseconds; a test's own timeout is 5 s. */
const WAIT_MS = 2000;

export type Peer = FakePeer<WebSocket>;

/** A fake peer on the client end of an upgrade's WebSocket. */
function peerOn(name: string, ws: WebSocket): Peer {
  const peer = new FakePeer(name, ws, WAIT_MS);
  ws.accept();
  return peer;
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
  return peerOn(name, res.webSocket);
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
  return peerOn(name, res.webSocket);
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
  return peerOn(name, res.webSocket);
}

/** Runs SQL in the Node's object (tests move times into the past instead of waiting for them). */
export function nodeSql(node: Node, query: string, ...bindings: unknown[]): Promise<Record<string, unknown>[]> {
  return internals(node, (_inner, state) => state.storage.sql.exec(query, ...bindings).toArray());
}

export function adminFetch(path: string, token: string | null = ADMIN_TOKEN): Promise<Response> {
  return SELF.fetch(`http://relay${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
}

/** What NodeObject.metricsSnapshot() returns (worker/src/mux/metrics.ts), as far as tests read it. */
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
 * sleeping through them. Kept to the few fields the alarm reads (the mux core's, mux/mux.ts), and
 * the push gateway's network.
 */
interface Internals {
  mux: {
    pending: { size: number; entries(): IterableIterator<{ rid: number; deadline: number; startedAt: number }> };
    conns: { bySocket: Map<WebSocket, { hello: boolean; openedAt: number; kind: "agent" | "client"; sid?: string; until?: number | null }> };
  };
  pairing: { sockets: Map<WebSocket, { openedAt: number }> };
  /** The push gateway's network (push/deliver.ts DeliverDeps): tests put a recording push service there. */
  pushes: { deps: { fetch: (url: string, init: RequestInit) => Promise<Response> } };
}

export function internals<R>(node: Node, callback: (inner: Internals, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(node.stub, (instance, state) => callback(instance as unknown as Internals, state));
}

/** Makes every pending request's deadline due, in memory and in SQLite alike. */
export function expireDeadlines(node: Node): Promise<number> {
  return internals(node, (inner, state) => {
    state.storage.sql.exec("UPDATE pending SET deadline = 0");
    let n = 0;
    for (const entry of inner.mux.pending.entries()) {
      entry.deadline = 0;
      n++;
    }
    return n;
  });
}
