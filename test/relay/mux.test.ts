/**
 * The mux rules (docs/PROTOCOL.md, docs/OPERATIONS.md) with plain function calls: no runtime, no sockets,
 * a fake clock. What only workerd can show (hibernation, real alarms) is in test/worker/.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { describe, expect, it } from "vitest";
import { FLUSH_MS } from "../../worker/src/mux/mux.js";
import { CONFIG, device, Harness, helloAgent, helloClient, type FakeSocket } from "./harness.js";

const LIMIT_FIELDS = ["maxMessageBytes", "maxPending", "maxPendingPerSession", "streamMaxSec", "streamWindowBytes", "timeoutSec", "windowBytes"];

function request(h: Harness, client: FakeSocket, agent: FakeSocket, id: string, payload = "{}"): number {
  h.send(client, encodeFrame({ t: "req", id }, payload));
  const req = agent.take().find((f) => f.header.t === "req");
  if (!req) throw new Error(`request ${id} was not forwarded: ${client.take().map((f) => f.text)}`);
  return req.header.rid;
}

function types(socket: FakeSocket): string[] {
  return socket.take().map((f) => (f.header.t === "err" ? `err:${f.header.code}` : f.header.t));
}

describe("welcome", () => {
  it("announces exactly the listed limits to clients and agents, never a setting that exists only in the configuration", () => {
    // Settings of the relay that are not limits, and one that a later version might add.
    const config = { ...CONFIG, registerLimitPerHour: 20, futureSecret: 42 };
    const h = new Harness(config);
    const alice = h.connectClient("alice");
    h.send(alice, encodeFrame({ t: "hello", v: 1 }));
    const agent = h.connectAgent();
    h.send(agent, encodeFrame({ t: "hello", v: 1 }));
    for (const welcome of [alice.take()[0]!, agent.take()[0]!]) {
      expect(welcome.header.t).toBe("welcome");
      expect(Object.keys(welcome.header.limits).sort()).toEqual(LIMIT_FIELDS);
      expect(welcome.text).not.toMatch(/futureSecret|helloTimeoutSec|registerLimitPerHour/);
    }
  });
});

describe("requests", () => {
  it("refuses a second pending request with the same id in one session with id_in_use and forwards nothing", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    request(h, alice, agent, "a1");
    h.send(alice, encodeFrame({ t: "req", id: "a1" }, "again"));
    // Under `dup`, not `id`: the pending a1 still ends once, by its own answer.
    expect(alice.take().map((f) => f.header)).toEqual([{ t: "err", dup: "a1", code: "id_in_use", message: expect.any(String) }]);
    expect(agent.take()).toEqual([]);
  });

  it("refuses past a session's share and past the Node's maximum with pending_limit", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const [alice, bob, cathy] = ["alice", "bob", "cathy"].map((name) => helloClient(h, name).socket) as [FakeSocket, FakeSocket, FakeSocket];
    request(h, alice, agent, "a1");
    request(h, alice, agent, "a2");
    h.send(alice, encodeFrame({ t: "req", id: "a3" }));
    expect(types(alice)).toEqual(["err:pending_limit"]);
    request(h, bob, agent, "b1");
    request(h, bob, agent, "b2");
    h.send(cathy, encodeFrame({ t: "req", id: "c1" }));
    expect(types(cathy)).toEqual(["err:pending_limit"]);
    expect(h.mux.snapshot()).toMatchObject({ pending: CONFIG.maxPending, rejections: { pending_limit: 2 } });
  });

  it("times a request out at its deadline: timeout for the client, a timeout cancel for the agent, and a late answer is dropped", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    const rid = request(h, alice, agent, "slow");
    h.advance(CONFIG.timeoutSec * 1000 - 1);
    expect(alice.take()).toEqual([]);
    h.advance(1);
    expect(alice.take().map((f) => f.header)).toEqual([expect.objectContaining({ t: "err", id: "slow", code: "timeout" })]);
    expect(agent.take().map((f) => f.header)).toEqual([{ t: "cancel", rid, reason: "timeout" }]);
    h.send(agent, encodeFrame({ t: "res", rid }, "too late"));
    expect(alice.take()).toEqual([]);
    expect(h.mux.snapshot()).toMatchObject({ pending: 0, timeouts: 1, drops: { late_answer: 1 } });
  });

  it("measures a stream's idle time from its last chunk, up to the stream's absolute cap", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    const rid = request(h, alice, agent, "s");
    for (const at of [4000, 8000]) {
      h.advance(4000);
      h.send(agent, encodeFrame({ t: "chunk", rid }, `part at ${at}`));
    }
    expect(types(alice)).toEqual(["chunk", "chunk"]); // 8 s in: past the 5 s timeout, idle for none of it
    h.advance(CONFIG.streamMaxSec * 1000 - 8000 - 1);
    expect(alice.take()).toEqual([]);
    h.advance(1); // the cap (12 s) comes before the idle deadline (13 s)
    expect(types(alice)).toEqual(["err:timeout"]);
  });

  it("fails a stream with slow_consumer when the client's unacknowledged bytes would pass the window, and an ack reopens it", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice");
    const rid = request(h, alice.socket, agent, "big");
    const chunk = "x".repeat(300);
    h.send(agent, encodeFrame({ t: "chunk", rid }, chunk));
    const received = alice.socket.inbox.reduce((n, f) => n + f.text.length, 0);
    h.send(alice.socket, encodeFrame({ t: "ack", bytes: received }));
    // The window (1024 bytes) takes three more chunks of 320 bytes once the first is acknowledged.
    for (let i = 0; i < 4; i++) h.send(agent, encodeFrame({ t: "chunk", rid }, chunk));
    expect(types(alice.socket)).toEqual(["chunk", "chunk", "chunk", "chunk", "err:slow_consumer"]);
    expect(agent.take().map((f) => f.header)).toEqual([{ t: "cancel", rid, reason: "slow_consumer" }]);
    expect(h.mux.snapshot()).toMatchObject({ pending: 0, drops: { slow_consumer: 1 } });
  });
});

describe("going away", () => {
  it("cancels a gone client's pending requests at the agent with client_gone and tells the agent the session closed", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice");
    const rids = [request(h, alice.socket, agent, "a1"), request(h, alice.socket, agent, "a2")];
    h.disconnect(alice.socket);
    expect(agent.take().map((f) => f.header)).toEqual([
      ...rids.map((rid) => ({ t: "cancel", rid, reason: "client_gone" })),
      { t: "session", s: alice.sid, dev: "dev-alice", role: "owner", open: false },
    ]);
    expect(h.mux.snapshot().pending).toBe(0);
  });

  it("fails every pending request with node_offline when a newer agent replaces the old, which is closed with 4009 and no longer heard", () => {
    const h = new Harness();
    const old = helloAgent(h, "old");
    const alice = helloClient(h, "alice").socket;
    const rid = request(h, alice, old, "a1");
    const fresh = helloAgent(h, "fresh");
    expect(old.closed?.code).toBe(CloseCode.REPLACED);
    expect(types(alice)).toEqual(["err:node_offline", "node", "node"]);
    h.send(old, encodeFrame({ t: "res", rid }, "last words"));
    expect(alice.take()).toEqual([]);
    expect(request(h, alice, fresh, "a2")).not.toBe(rid);
  });

  it("ignores what a replaced agent still sends after a wake-up that found its socket open", () => {
    const h = new Harness();
    const old = helloAgent(h, "old");
    const fresh = helloAgent(h, "fresh");
    h.evict(); // the runtime still holds the old socket, its close not yet complete
    const alice = helloClient(h, "alice").socket;
    const rid = request(h, alice, fresh, "a1");
    h.send(old, encodeFrame({ t: "res", rid }, "not from the agent that holds the Node"));
    expect(alice.take()).toEqual([]);
    h.send(fresh, encodeFrame({ t: "res", rid }, "answer"));
    expect(alice.take().map((f) => f.payload)).toEqual(["answer"]);
  });

  it("fails every pending request with node_offline when the agent disconnects and tells every session", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    const bob = helloClient(h, "bob").socket;
    request(h, alice, agent, "a1");
    request(h, bob, agent, "b1");
    h.disconnect(agent);
    expect(types(alice)).toEqual(["err:node_offline", "node"]);
    expect(types(bob)).toEqual(["err:node_offline", "node"]);
    expect(h.mux.snapshot()).toMatchObject({ connected: false, pending: 0 });
  });
});

describe("deadlines and bad peers", () => {
  it("closes a connection that says no hello by the handshake deadline with 4008 and counts it as hello_required", () => {
    const h = new Harness();
    const mute = h.connectClient("mallory");
    const alice = helloClient(h, "alice").socket;
    h.advance(CONFIG.helloTimeoutSec * 1000);
    expect(mute.closed?.code).toBe(CloseCode.HELLO_TIMEOUT);
    expect(alice.closed).toBeNull();
    expect(h.mux.snapshot()).toMatchObject({ sessions: 1, rejections: { hello_required: 1 } });
  });

  it("ends a session when its credential expires with 4001 and cancels its requests at the agent with revoked", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice", device("dev-alice", "owner", h.now + 2000)).socket;
    const rid = request(h, alice, agent, "a1");
    h.advance(2000);
    expect(alice.closed?.code).toBe(CloseCode.UNAUTHORIZED);
    expect(agent.take()[0]?.header).toEqual({ t: "cancel", rid, reason: "revoked" });
  });

  it("closes a connection after 16 invalid frames with 4011, answering each with bad_frame until then", () => {
    const h = new Harness();
    const alice = helloClient(h, "alice").socket;
    for (let i = 0; i < 20; i++) h.send(alice, "not json");
    expect(types(alice)).toEqual(Array(16).fill("err:bad_frame"));
    expect(alice.closed?.code).toBe(CloseCode.TOO_MANY_BAD_FRAMES);
  });

  it("refuses a hello with an unsupported version with upgrade_required and closes with 4010", () => {
    const h = new Harness();
    const agent = h.connectAgent();
    h.send(agent, encodeFrame({ t: "hello", v: 99 }));
    expect(agent.take()[0]?.header).toMatchObject({ t: "err", code: "upgrade_required" });
    expect(agent.closed?.code).toBe(CloseCode.UPGRADE_REQUIRED);
  });
});

describe("storage and eviction", () => {
  it("writes the pending table behind: a request answered before the flush never reaches the store", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    const quick = request(h, alice, agent, "quick");
    h.send(agent, encodeFrame({ t: "res", rid: quick }, "{}"));
    request(h, alice, agent, "slow");
    expect(h.alarmAt).toBeLessThanOrEqual(h.now + FLUSH_MS);
    h.advance(FLUSH_MS);
    expect([...h.store.rows.values()].map((row) => row.id)).toEqual(["slow"]);
  });

  it("keeps pending requests, sessions and the agent across an eviction, and never reuses a relay id after it", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    const before = request(h, alice, agent, "before");
    h.evict();
    expect(h.mux.snapshot()).toMatchObject({ connected: true, sessions: 1, pending: 1, requests: 1 });
    const after = request(h, alice, agent, "after");
    expect(after).not.toBe(before);
    h.send(agent, encodeFrame({ t: "res", rid: before }, "answer"));
    expect(alice.take().map((f) => [f.header.t, f.header.id, f.payload])).toEqual([["res", "before", "answer"]]);
  });

  it("times out after an eviction a request that was pending before it", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    request(h, alice, agent, "a1");
    h.evict();
    h.advance(CONFIG.timeoutSec * 1000);
    expect(types(alice)).toEqual(["err:timeout"]);
  });
});

describe("rotation", () => {
  it("asks a device due for rotation to rotate in its welcome and answers rotate with a fresh credential", async () => {
    const h = new Harness();
    h.records.rotationsDue.add("dev-alice");
    const alice = h.connectClient("alice");
    h.send(alice, encodeFrame({ t: "hello", v: 1 }));
    expect(alice.take()[0]?.header).toMatchObject({ t: "welcome", rotate: true });
    const peer = h.mux.peer(alice)!;
    await h.mux.onMessage(peer, encodeFrame({ t: "rotate" }));
    expect(alice.take()[0]?.header).toMatchObject({ t: "rotated" });
  });
});
