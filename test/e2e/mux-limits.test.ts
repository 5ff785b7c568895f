/**
 * The relay's multiplexing rules, hit by named clients over real sockets. A scripted agent answers
 * (or deliberately does not), so each rule can be driven exactly.
 */
import { encodeFrame, PROTOCOL_VERSION } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answer, client, open, scriptedAgent, until, type Peer } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const isReq = (f: { header: Record<string, any> }) => f.header.t === "req";

describe("pending limits and request ids", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_MAX_PENDING: "4", ORA_RELAY_MAX_PENDING_PER_SESSION: "2" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
  });
  afterAll(() => relay?.dispose());

  it("refuses a request id that is already pending in the same session with id_in_use", async () => {
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    alice.request("a1", "echo", 1);
    const forwarded = await agent.next(isReq);
    alice.request("a1", "echo", 2);
    // Under `dup`, not `id`: the first a1 still ends once, with its own answer.
    expect((await alice.nextOf("err")).header).toEqual({ t: "err", dup: "a1", code: "id_in_use", message: expect.any(String) });
    agent.send(encodeFrame({ t: "res", rid: forwarded.header.rid }, answer(1)));
    expect((await alice.outcome("a1")).header.t).toBe("res");
    // Once answered, the id is free again.
    alice.request("a1", "echo", 3);
    const again = await agent.next(isReq);
    agent.send(encodeFrame({ t: "res", rid: again.header.rid }, answer(3)));
    expect((await alice.outcome("a1")).header.t).toBe("res");
    await alice.closeAndWait();
  });

  it("lets two sessions use the same request id independently", async () => {
    const { credential } = await relay.mintDevice(node.credential, "bob");
    const bob = await client("bob", relay.url, credential);
    const cathy = await client("cathy", relay.url, credential);
    bob.request("same", "echo", "bob");
    cathy.request("same", "echo", "cathy");
    const first = await agent.next(isReq);
    const second = await agent.next(isReq);
    for (const f of [first, second]) agent.send(encodeFrame({ t: "res", rid: f.header.rid }, f.payload));
    expect(JSON.parse((await bob.outcome("same")).payload!)).toMatchObject({ params: "bob" });
    expect(JSON.parse((await cathy.outcome("same")).payload!)).toMatchObject({ params: "cathy" });
    await Promise.all([bob.closeAndWait(), cathy.closeAndWait()]);
  });

  it("caps one session at its share and the Node at ORA_RELAY_MAX_PENDING with pending_limit", async () => {
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    const bob = await client("bob", relay.url, credential);
    const cathy = await client("cathy", relay.url, credential);
    alice.request("1", "echo");
    alice.request("2", "echo");
    alice.request("3", "echo");
    expect((await alice.outcome("3")).header).toMatchObject({ t: "err", code: "pending_limit" });
    bob.request("1", "echo");
    bob.request("2", "echo");
    const held = await Promise.all([1, 2, 3, 4].map(() => agent.next(isReq)));
    // The Node now has 4 pending: cathy is refused although her own share is untouched.
    cathy.request("1", "echo");
    expect((await cathy.outcome("1")).header).toMatchObject({ t: "err", code: "pending_limit" });
    for (const f of held) agent.send(encodeFrame({ t: "res", rid: f.header.rid }, answer(null)));
    await Promise.all([alice.outcome("1"), alice.outcome("2"), bob.outcome("1"), bob.outcome("2")]);
    cathy.request("2", "echo");
    const next = await agent.next(isReq);
    agent.send(encodeFrame({ t: "res", rid: next.header.rid }, answer(null)));
    expect((await cathy.outcome("2")).header.t).toBe("res");
    const metrics = await relay.metrics(node.nodeId);
    expect(metrics.pending).toBe(0);
    expect(metrics.pendingHighWater).toBe(4);
    expect(metrics.rejections.pending_limit).toBe(2);
    await Promise.all([alice.closeAndWait(), bob.closeAndWait(), cathy.closeAndWait()]);
  });
});

describe("timeouts, streams and late answers", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_CLIENT_TIMEOUT_SEC: "0.4", ORA_RELAY_STREAM_MAX_SEC: "1.2" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
  });
  afterAll(() => relay?.dispose());

  it("times out an unanswered request, cancels it at the agent and drops the late answer", async () => {
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    alice.request("slow", "echo");
    const req = await agent.next(isReq);
    expect((await alice.outcome("slow", 3000)).header).toMatchObject({ t: "err", code: "timeout" });
    expect((await agent.next((f) => f.header.t === "cancel")).header).toEqual({ t: "cancel", rid: req.header.rid, reason: "timeout" });
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, answer("too late")));
    await until(async () => (await relay.metrics(node.nodeId)).drops.late_answer === 1, 3000, "late answer counted");
    await expect(alice.next((f) => f.header.id === "slow", 300)).rejects.toThrow(/no matching frame/);
    expect((await relay.metrics(node.nodeId)).timeouts).toBeGreaterThanOrEqual(1);
    await alice.closeAndWait();
  });

  it("keeps a stream alive while chunks arrive within the idle timeout, then cuts it at the absolute cap", async () => {
    const { credential } = await relay.mintDevice(node.credential, "bob");
    const bob = await client("bob", relay.url, credential);
    bob.request("s", "echo.stream");
    const req = await agent.next(isReq);
    const started = Date.now();
    let sent = 0;
    const ticker = setInterval(() => agent.send(encodeFrame({ t: "chunk", rid: req.header.rid }, JSON.stringify(sent++))), 150);
    try {
      const outcome = await bob.outcome("s", 5000);
      const elapsed = Date.now() - started;
      expect(outcome.header).toMatchObject({ t: "err", code: "timeout" });
      // Far past the 0.4 s idle timeout (chunks kept it alive), stopped by the 1.2 s cap.
      expect(elapsed).toBeGreaterThan(900);
      const chunks = bob.frames.filter((f) => f.header.id === "s" && f.header.t === "chunk");
      expect(chunks.length).toBeGreaterThanOrEqual(5);
    } finally {
      clearInterval(ticker);
    }
    expect((await agent.next((f) => f.header.t === "cancel" && f.header.rid === req.header.rid)).header.reason).toBe("timeout");
    await bob.closeAndWait();
  });

  it("times out a stream that goes idle", async () => {
    const { credential } = await relay.mintDevice(node.credential, "cathy");
    const cathy = await client("cathy", relay.url, credential);
    cathy.request("idle", "echo.stream");
    const req = await agent.next(isReq);
    agent.send(encodeFrame({ t: "chunk", rid: req.header.rid }, "1"));
    expect((await cathy.next((f) => f.header.t === "chunk")).payload).toBe("1");
    expect((await cathy.outcome("idle", 3000)).header).toMatchObject({ t: "err", code: "timeout" });
    await cathy.closeAndWait();
  });
});

describe("message size", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_MAX_MESSAGE_BYTES: "2048" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
  });
  afterAll(() => relay?.dispose());

  it("refuses a request over ORA_RELAY_MAX_MESSAGE_BYTES with too_large and never forwards it", async () => {
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    alice.send(encodeFrame({ t: "req", id: "big" }, "x".repeat(3000)));
    expect((await alice.outcome("big")).header).toMatchObject({ t: "err", code: "too_large" });
    // Multi-byte text is measured in UTF-8 bytes: 700 × "€" is 2100 bytes though only 700 characters.
    alice.send(encodeFrame({ t: "req", id: "euro" }, "€".repeat(700)));
    expect((await alice.outcome("euro")).header).toMatchObject({ t: "err", code: "too_large" });
    await expect(agent.next(isReq, 300)).rejects.toThrow(/no matching frame/);
    await alice.closeAndWait();
  });

  it("fails a request whose answer is too large with too_large for both sides", async () => {
    const { credential } = await relay.mintDevice(node.credential, "bob");
    const bob = await client("bob", relay.url, credential);
    bob.request("q", "echo");
    const req = await agent.next(isReq);
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, "y".repeat(4000)));
    expect((await bob.outcome("q")).header).toMatchObject({ t: "err", code: "too_large" });
    expect((await agent.next((f) => f.header.t === "err")).header).toMatchObject({ code: "too_large", rid: req.header.rid });
    expect((await relay.metrics(node.nodeId)).pending).toBe(0);
    await bob.closeAndWait();
  });
});

describe("slow client isolation", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_MAX_MESSAGE_BYTES: "2048", ORA_RELAY_WINDOW_BYTES: "8192" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
  });
  afterAll(() => relay?.dispose());

  it("fails the stream of a client that stops acknowledging with slow_consumer while others keep flowing", async () => {
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential); // never acks
    const bob = await client("bob", relay.url, credential);
    expect(alice.welcome.header.limits.windowBytes).toBe(8192);
    alice.request("flood", "echo.stream");
    const flood = await agent.next(isReq);
    const chunk = "z".repeat(1000);
    for (let i = 0; i < 12; i++) agent.send(encodeFrame({ t: "chunk", rid: flood.header.rid }, chunk));
    expect((await alice.outcome("flood")).header).toMatchObject({ t: "err", code: "slow_consumer" });
    expect((await agent.next((f) => f.header.t === "cancel")).header).toMatchObject({ rid: flood.header.rid, reason: "slow_consumer" });
    const received = alice.frames.filter((f) => f.header.t === "chunk").length;
    expect(received).toBeLessThan(12);

    // Bob acknowledges as he reads, and gets every chunk of the same size of stream.
    let bobBytes = Buffer.byteLength(bob.welcome.text);
    bob.ws.on("message", (data) => {
      bobBytes += (data as Buffer).length;
      bob.send(encodeFrame({ t: "ack", bytes: bobBytes }));
    });
    bob.request("fine", "echo.stream");
    const fine = await agent.next(isReq);
    for (let i = 0; i < 12; i++) {
      agent.send(encodeFrame({ t: "chunk", rid: fine.header.rid }, chunk));
      await bob.next((f) => f.header.t === "chunk" && f.header.id === "fine");
    }
    agent.send(encodeFrame({ t: "end", rid: fine.header.rid }, answer("done")));
    expect((await bob.outcome("fine")).header.t).toBe("end");
    const metrics = await relay.metrics(node.nodeId);
    expect(metrics.drops.slow_consumer).toBeGreaterThanOrEqual(1);
    expect(metrics.pending).toBe(0);
    await Promise.all([alice.closeAndWait(), bob.closeAndWait()]);
  });
});

describe("metering", () => {
  let relay: Relay;
  afterAll(() => relay?.dispose());

  it("counts bytes in and out in UTF-8, exactly as the peers see them", async () => {
    relay = await startRelay();
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "alice");
    let sent = 0;
    let received = 0;
    const counted = async (peer: Peer) => {
      peer.ws.on("message", (data) => (received += (data as Buffer).length));
      const send = peer.send.bind(peer);
      peer.send = (text) => {
        sent += Buffer.byteLength(text);
        send(text);
      };
      return peer;
    };
    const agent = await counted(await open("agent", relay.url, "/v1/node/connect", node.credential));
    agent.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION }));
    await agent.next((f) => f.header.t === "welcome");
    const alice = await counted(await open("alice", relay.url, "/v1/client/connect", credential));
    alice.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION }));
    await alice.next((f) => f.header.t === "welcome");
    alice.send(encodeFrame({ t: "req", id: "u" }, JSON.stringify({ method: "echo", params: "é€😀\n" })));
    const req = await agent.next(isReq);
    agent.send(encodeFrame({ t: "chunk", rid: req.header.rid }, "«chunk» ✓"));
    agent.send(encodeFrame({ t: "end", rid: req.header.rid }, answer("fin ☃")));
    await alice.outcome("u");
    agent.send(encodeFrame({ t: "push", to: "*" }, JSON.stringify({ event: "ß" })));
    await alice.next((f) => f.header.t === "push");
    const metrics = await relay.metrics(node.nodeId);
    expect(metrics.bytesIn).toBe(sent);
    expect(metrics.bytesOut).toBe(received);
  });
});
