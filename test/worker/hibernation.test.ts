/**
 * Real hibernation: evictDurableObject tears the Node object's instance down while its WebSockets stay
 * connected; the next event builds a new instance from SQLite and the sockets' attachments.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { expect, it } from "vitest";
import { agent, client, internals, metrics, mintDevice, open, registerNode, type Node } from "./relay.js";

/** Evicts the object and checks that the instance really went: a mark left on it must be gone. */
async function evict(node: Node): Promise<void> {
  await internals(node, (inner) => Object.assign(inner, { evictionMark: true }));
  await evictDurableObject(node.stub);
  expect(await internals(node, (inner) => "evictionMark" in inner)).toBe(false);
}

it("schedules the write-behind flush of a new pending request within a second", async () => {
  const node = await registerNode();
  const agentA = await agent("agent", node);
  const alice = await client("alice", await mintDevice(node, "alice-phone"));
  expect(await runDurableObjectAlarm(node.stub)).toBe(true); // settle the connect-time flush
  const sent = Date.now();
  alice.requestRaw("q", "question");
  await agentA.nextOf("req");
  const alarm = await internals(node, (_inner, state) => state.storage.getAlarm());
  expect(alarm).not.toBeNull();
  expect(alarm!).toBeLessThanOrEqual(sent + 1500);
  expect(await runDurableObjectAlarm(node.stub)).toBe(true);
  const rows = await internals(node, (_inner, state) => state.storage.sql.exec("SELECT id FROM pending").toArray());
  expect(rows).toEqual([{ id: "q" }]);
});

it("answers a request that was pending when the object was evicted, from the pending table in SQLite", async () => {
  const node = await registerNode();
  const agentA = await agent("agent", node);
  const alice = await client("alice", await mintDevice(node, "alice-phone"));
  alice.requestRaw("before", "question");
  const before = await agentA.nextOf("req");

  // An object is evicted only after seconds without events; the write-behind flush runs first.
  expect(await runDurableObjectAlarm(node.stub)).toBe(true);
  await evict(node);
  expect(await internals(node, (inner) => inner.mux.pending.size)).toBe(1);

  // A request after the wake-up must not reuse the relay id of the one still pending.
  alice.requestRaw("after", "another");
  const after = await agentA.nextOf("req");
  expect(after.header.rid).not.toBe(before.header.rid);

  agentA.send(encodeFrame({ t: "res", rid: before.header.rid }, "answer to before"));
  agentA.send(encodeFrame({ t: "res", rid: after.header.rid }, "answer to after"));
  expect((await alice.outcome("before")).payload).toBe("answer to before");
  expect((await alice.outcome("after")).payload).toBe("answer to after");
  expect(await metrics(node)).toMatchObject({ pending: 0, drops: {} });
});

it("keeps the metrics counters across eviction once the alarm has flushed them", async () => {
  const node = await registerNode();
  const agentA = await agent("agent", node);
  const alice = await client("alice", await mintDevice(node, "alice-phone"));
  for (const id of ["a1", "a2", "a3"]) {
    alice.requestRaw(id, "{}");
    agentA.send(encodeFrame({ t: "res", rid: (await agentA.nextOf("req")).header.rid }, "{}"));
    await alice.outcome(id);
  }
  alice.requestRaw("x", "{}");
  await agentA.nextOf("req");
  alice.requestRaw("x", "{}");
  await alice.nextOf("err"); // id_in_use

  expect(await runDurableObjectAlarm(node.stub)).toBe(true);
  const flushed = await metrics(node);
  expect(flushed).toMatchObject({ requests: 4, answers: 3, agentConnects: 1, clientConnects: 1, rejections: { id_in_use: 1 } });

  await evict(node);
  expect(await metrics(node)).toEqual(flushed);
});

it("lets a session and an agent that said hello before eviction go on without a new hello", async () => {
  const node = await registerNode();
  const agentA = await agent("agent", node);
  const alice = await client("alice", await mintDevice(node, "alice-phone"));

  await evict(node);
  expect(await metrics(node)).toMatchObject({ connected: true, sessions: 1 });

  alice.requestRaw("a1", "after the wake-up");
  const req = await agentA.nextOf("req");
  expect(req.header.s).toBe(alice.welcome.header.session);
  expect(req.payload).toBe("after the wake-up");
  agentA.send(encodeFrame({ t: "res", rid: req.header.rid }, "still here"));
  expect((await alice.outcome("a1")).header).toEqual({ t: "res", id: "a1" });
});

it("still closes a socket that had not said hello before eviction when its deadline passes", async () => {
  const node = await registerNode();
  const mute = await open("mallory", "/v1/client/connect", (await mintDevice(node, "mallory-phone")).credential);

  await evict(node);
  const tracked = await internals(node, (inner) => {
    const peers = [...inner.mux.conns.bySocket.values()];
    for (const peer of peers) peer.openedAt = 0;
    return peers.map((p) => p.hello);
  });
  expect(tracked).toEqual([false]);
  expect(await runDurableObjectAlarm(node.stub)).toBe(true);
  expect((await mute.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
});
