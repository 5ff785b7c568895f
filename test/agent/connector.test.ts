/**
 * The agent's connector against a scripted relay on loopback: what the agent must do even when the
 * relay misbehaves (duplicate deliveries), and how it reconnects or gives up.
 */
import { CloseCode, encodeBinaryFrame, encodeFrame, fromBase64Url, PROTOCOL_VERSION } from "@ora/protocol";
import { builtinHandlers, Connector, createLogger, loadOrCreateIdentity, PairedDevices, SecureSessions, type ConnectorState } from "ora-agent";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { newStateDir } from "../helpers/agent.js";
import { DeviceCrypto } from "../helpers/device.js";
import { Peer, until } from "../helpers/peer.js";

const LIMITS = {
  maxMessageBytes: 1 << 20,
  maxPending: 8,
  maxPendingPerSession: 2,
  timeoutSec: 30,
  streamMaxSec: 600,
  windowBytes: 4 << 20,
  streamWindowBytes: 64 << 10,
};
const quiet = createLogger("error", () => undefined);

interface FakeRelay {
  url: string;
  connections: Peer[];
  next(): Promise<Peer>;
  close(): Promise<void>;
  server: WebSocketServer;
}

/** A loopback WebSocket server playing the relay; next() yields each connection once it is welcomed. */
async function fakeRelay(onConnection: (peer: Peer) => Promise<void> = welcome): Promise<FakeRelay> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const connections: Peer[] = [];
  let waiting: ((p: Peer) => void) | null = null;
  const ready: Peer[] = [];
  server.on("connection", async (ws) => {
    const peer = new Peer(`relay-side-${connections.length}`, ws);
    connections.push(peer);
    await onConnection(peer);
    if (waiting) {
      waiting(peer);
      waiting = null;
    } else ready.push(peer);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections,
    server,
    next: () => (ready.length > 0 ? Promise.resolve(ready.shift()!) : new Promise((resolve) => (waiting = resolve))),
    close: () =>
      new Promise((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

async function welcome(peer: Peer): Promise<void> {
  const hello = await peer.next((f) => f.header.t === "hello");
  expect(hello.header).toMatchObject({ v: PROTOCOL_VERSION, agent: expect.stringMatching(/^ora-agent\//), credit: true });
  peer.send(encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, node: "n1", limits: LIMITS, sessions: [] }));
}

const header = (rid: number, s = "s1", dev = "d1") => ({ t: "req", rid, s, dev, role: "owner" });

/** Handshakes session s1 as device d1 over a scripted relay side; returns a sealed-request builder. */
async function secureSession(side: Peer, device: DeviceCrypto, rid = 1000) {
  side.send(encodeFrame(header(rid, "s1", device.id), await device.hello()));
  await device.finish((await side.next((f) => f.header.rid === rid)).payload);
  return (r: number, method: string, params?: unknown) => encodeFrame(header(r, "s1", device.id), device.seal(method, params).payload);
}

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function connector(relay: FakeRelay, states: ConnectorState[] = [], stateDir = newStateDir()): Connector {
  const secure = new SecureSessions(loadOrCreateIdentity(stateDir), new PairedDevices(stateDir));
  const c = new Connector({
    relay: relay.url,
    credential: "ora_node_test",
    handlers: builtinHandlers(),
    secure,
    log: quiet,
    backoff: { baseMs: 20, capMs: 100 },
    onState: (s) => states.push(s),
  });
  cleanups.push(() => c.stop());
  return c;
}

/** A running connector behind a fake relay, its relay-side socket and the agent's state directory. */
async function connected(): Promise<{ relay: FakeRelay; side: Peer; dir: string }> {
  const relay = await fakeRelay();
  cleanups.push(() => relay.close());
  const dir = newStateDir();
  void connector(relay, [], dir).run();
  return { relay, side: await relay.next(), dir };
}

/** A relay side whose welcome says bin: it takes the agent's binary frames. */
async function binaryWelcome(peer: Peer): Promise<void> {
  const hello = await peer.next((f) => f.header.t === "hello");
  expect(hello.header).toMatchObject({ credit: true, bin: true });
  peer.send(encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, node: "n1", limits: LIMITS, sessions: [], bin: true }));
}

describe("agent connector, binary frames", () => {
  it("says bin in its hello, reads binary requests and seals answers, chunks and pushes binary once the welcome says bin", async () => {
    const relay = await fakeRelay(binaryWelcome);
    cleanups.push(() => relay.close());
    const dir = newStateDir();
    const c = connector(relay, [], dir);
    void c.run();
    const side = await relay.next();
    const device = new DeviceCrypto(dir);
    // The handshake's answer stays text; everything sealed goes binary.
    side.send(encodeFrame(header(1000), await device.hello()));
    const hs = await side.next((f) => f.header.rid === 1000);
    expect(hs.bytes).toBeUndefined();
    await device.finish(hs.payload);
    side.send(encodeBinaryFrame(header(1), fromBase64Url(device.seal("echo.stream", { text: "x", count: 2 }).payload)!));
    const frames = [await side.next((f) => f.header.rid === 1 && f.header.t === "chunk"), await side.next((f) => f.header.rid === 1 && f.header.t === "chunk")];
    frames.push(await side.next((f) => f.header.rid === 1 && f.header.t === "end"));
    expect(frames.every((f) => f.bytes instanceof Uint8Array)).toBe(true);
    expect(frames.map((f) => device.open(f.payload).k)).toEqual(["chunk", "chunk", "end"]);
    expect(c.push("lockdown", { lockdown: { locked: false, since: null, by: null } })).toBe(1);
    const push = await side.next((f) => f.header.t === "push");
    expect(push.bytes).toBeInstanceOf(Uint8Array);
    expect(device.open(push.payload)).toMatchObject({ k: "push", body: { event: "lockdown" } });
  });

  it("keeps to text with a relay whose welcome does not say bin, which would refuse binary frames", async () => {
    const { side, dir } = await connected();
    const device = new DeviceCrypto(dir);
    const req = await secureSession(side, device);
    side.send(req(2, "echo", "plain"));
    const res = await side.next((f) => f.header.rid === 2);
    expect(res.bytes).toBeUndefined();
    expect(device.open(res.payload).body).toEqual({ ok: true, result: "plain" });
  });
});

describe("agent connector", () => {
  it("sends its hello with the protocol version and the credential in the Authorization header", async () => {
    const relay = await fakeRelay();
    cleanups.push(() => relay.close());
    let auth: string | undefined;
    relay.server.on("headers", (_h, request) => (auth = request.headers.authorization));
    const states: ConnectorState[] = [];
    void connector(relay, states).run();
    await relay.next();
    await until(() => states.some((s) => s.status === "connected"), 3000, "connected");
    expect(auth).toBe("Bearer ora_node_test");
  });

  it("runs a relay id at most once, even when the relay delivers it twice", async () => {
    const { side, dir } = await connected();
    const req = await secureSession(side, new DeviceCrypto(dir));
    const seven = req(7, "echo.stream", { text: "x", count: 1 });
    side.send(seven);
    side.send(seven);
    side.send(req(8, "ping"));
    expect((await side.next((f) => f.header.rid === 8 && f.header.t === "res")).header.t).toBe("res");
    await side.next((f) => f.header.rid === 7 && f.header.t === "end");
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One chunk and one end: the second delivery ran nothing.
    expect(side.frames.filter((f) => f.header.rid === 7).map((f) => f.header.t)).toEqual(["chunk"]);
  });

  it("stops a handler when the relay cancels its request and sends no answer", async () => {
    const { side, dir } = await connected();
    const req = await secureSession(side, new DeviceCrypto(dir));
    side.send(req(1, "sleep", { ms: 10_000 }));
    side.send(encodeFrame({ t: "cancel", rid: 1, reason: "cancelled" }));
    side.send(req(2, "ping"));
    await side.next((f) => f.header.rid === 2);
    await expect(side.next((f) => f.header.rid === 1, 300)).rejects.toThrow(/no matching frame/);
  });

  it("answers malformed requests with typed errors instead of crashing", async () => {
    const { side, dir } = await connected();
    const device = new DeviceCrypto(dir);
    const req = await secureSession(side, device);
    side.send(req(2, "nope"));
    side.send(req(3, "sleep", { ms: -1 }));
    side.send("garbage that is not a frame");
    const codes = await Promise.all([2, 3].map(async (rid) => device.open((await side.next((f) => f.header.rid === rid)).payload).body.error.code));
    expect(codes).toEqual(["unknown_method", "bad_params"]);
  });

  it("acts on nothing in clear: a request before the handshake, or one that fails to open, is refused without running", async () => {
    const { side, dir } = await connected();
    side.send(encodeFrame(header(1), JSON.stringify({ method: "sleep", params: { ms: 5000 } })));
    expect(JSON.parse((await side.next((f) => f.header.rid === 1)).payload!)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/handshake first/) },
    });
    const device = new DeviceCrypto(dir);
    const req = await secureSession(side, device);
    const sealed = req(2, "echo", "hi");
    side.send(sealed);
    expect(device.open((await side.next((f) => f.header.rid === 2)).payload).body).toEqual({ ok: true, result: "hi" });
    // The same sealed payload again under a new relay id: a replay, refused and never run twice.
    side.send(sealed.replace('"rid":2', '"rid":3'));
    expect(JSON.parse((await side.next((f) => f.header.rid === 3)).payload!)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/verification/) },
    });
    // A flipped bit in a fresh request: refused the same way.
    const fresh = new DeviceCrypto(dir, "d2");
    const req2 = await secureSession(side, fresh, 1001);
    const frame = req2(4, "echo", "x");
    const flipped = frame.slice(0, -3) + (frame.at(-3) === "A" ? "B" : "A") + frame.slice(-2);
    side.send(flipped);
    expect(JSON.parse((await side.next((f) => f.header.rid === 4)).payload!)).toMatchObject({ ok: false });
  });

  it("takes the device's identity and role from its pairing record, not from the relay's header", async () => {
    const { side, dir } = await connected();
    const guest = new DeviceCrypto(dir, "g1", "guest");
    const req = await secureSession(side, guest); // the relay's header claims role "owner"
    side.send(req(5, "whoami"));
    expect(guest.open((await side.next((f) => f.header.rid === 5)).payload).body.result).toMatchObject({ device: "g1", role: "guest" });
    // A relay that claims the session belongs to another device gets no handshake.
    const other = new DeviceCrypto(dir, "o1");
    side.send(encodeFrame(header(6, "s2", "someone-else"), await other.hello()));
    expect(JSON.parse((await side.next((f) => f.header.rid === 6)).payload!)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/not paired/) },
    });
  });

  it("reconnects with backoff when the connection drops", async () => {
    const relay = await fakeRelay();
    cleanups.push(() => relay.close());
    const states: ConnectorState[] = [];
    void connector(relay, states).run();
    for (let i = 0; i < 3; i++) {
      const side = await relay.next();
      side.ws.terminate();
    }
    await relay.next();
    const waits = states.filter((s) => s.status === "waiting");
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const w of waits) expect(w.status === "waiting" && w.retryInMs).toBeLessThan(100);
  });

  it("gives up instead of retrying when the relay rejects its credential", async () => {
    const relay = await fakeRelay();
    cleanups.push(() => relay.close());
    relay.server.options.verifyClient = (_info: unknown, done: (ok: boolean, code?: number) => void) => done(false, 401);
    const final = await connector(relay).run();
    expect(final).toMatchObject({ status: "stopped", fatal: true, reason: expect.stringContaining("rejected") });
  });

  it("stops when a newer connection of the same Node replaces it", async () => {
    const relay = await fakeRelay();
    cleanups.push(() => relay.close());
    const run = connector(relay).run();
    const side = await relay.next();
    side.ws.close(CloseCode.REPLACED, "replaced");
    expect(await run).toMatchObject({ status: "stopped", fatal: true, reason: expect.stringContaining("took over") });
    expect(relay.connections).toHaveLength(1);
  });

  it("stops, naming the release to install, when the relay refuses this agent as too old, and does not reconnect", async () => {
    const relay = await fakeRelay(async (peer) => {
      await peer.next((f) => f.header.t === "hello");
      peer.send(encodeFrame({ t: "err", code: "upgrade_required", message: "too old", agentLatest: "99.1.0", agentMinimum: "99.0.0" }));
      peer.ws.close(CloseCode.UPGRADE_REQUIRED, "agent release below the relay's minimum");
    });
    cleanups.push(() => relay.close());
    const final = await connector(relay).run();
    expect(final).toMatchObject({ status: "stopped", fatal: true, reason: expect.stringContaining("install ora-agent 99.1.0") });
    expect(final.status === "stopped" && final.reason).toContain("ora-agent update");
    expect(relay.connections).toHaveLength(1);
  });

  it("reports the relay's agent releases with the connected state", async () => {
    const relay = await fakeRelay(async (peer) => {
      await peer.next((f) => f.header.t === "hello");
      peer.send(encodeFrame({ t: "welcome", v: PROTOCOL_VERSION, node: "n1", limits: LIMITS, sessions: [], agentLatest: "99.1.0", agentMinimum: "0.0.1" }));
    });
    cleanups.push(() => relay.close());
    const states: ConnectorState[] = [];
    void connector(relay, states).run();
    await until(() => states.some((s) => s.status === "connected"), 3000, "connected");
    expect(states.find((s) => s.status === "connected")).toMatchObject({ releases: { agentLatest: "99.1.0", agentMinimum: "0.0.1" } });
  });

  describe("stream credit", () => {
    /** A stream of 40 chunks of ~11 KB sealed, against a 64 KiB window: a handful fit before the agent must wait. */
    async function stalledStream(credit: boolean) {
      const { side, dir } = await connected();
      const device = new DeviceCrypto(dir);
      side.send(encodeFrame({ t: "session", s: "s1", dev: device.id, role: "owner", open: true, ...(credit ? { credit: true } : {}) }));
      const req = await secureSession(side, device);
      side.send(req(7, "echo.stream", { text: "x".repeat(8000), count: 40 }));
      // The whole stream is one chain of microtasks on the agent: had it not waited, every chunk
      // would be on the wire before it even reads the ping.
      const first = await side.next((f) => f.header.rid === 7 && f.header.t === "chunk");
      side.send(req(8, "ping"));
      await side.next((f) => f.header.rid === 8);
      const chunks = [first, ...side.frames.filter((f) => f.header.rid === 7 && f.header.t === "chunk")];
      return { side, device, sizes: chunks.map((f) => f.payload!.length), first: device.open(first.payload).body.i };
    }

    it("holds a stream once its window is used until the client grants more, then finishes it in order", async () => {
      const { side, device, sizes, first } = await stalledStream(true);
      // It went while what it had sent was below the window: the window is used, by the last chunk.
      const total = sizes.reduce((a, b) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(LIMITS.streamWindowBytes);
      expect(total - sizes.at(-1)!).toBeLessThan(LIMITS.streamWindowBytes);
      side.send(encodeFrame({ t: "credit", rid: 7, bytes: 10 << 20 }));
      await side.next((f) => f.header.rid === 7 && f.header.t === "end");
      const chunks = side.frames.filter((f) => f.header.rid === 7 && f.header.t === "chunk").map((f) => device.open(f.payload).body.i);
      expect([first, ...chunks]).toEqual([...Array(40).keys()]);
    });

    it("sends without waiting to a session whose client grants no credit (an older client)", async () => {
      const { sizes } = await stalledStream(false);
      expect(sizes).toHaveLength(40);
    });
  });
});
