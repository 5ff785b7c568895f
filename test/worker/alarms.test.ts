/**
 * Deadlines driven by the Node object's one alarm. The timeout here is 5 s; instead of waiting it out,
 * each test moves a deadline into the past and fires the alarm with runDurableObjectAlarm.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminFetch, agent, client, expireDeadlines, internals, metrics, mintDevice, open, registerNode, type Snapshot } from "./relay.js";

describe("request timeouts", () => {
  it("fails a request past its deadline with timeout for the client and a timeout cancel for the agent", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("slow", "{}");
    const req = await agentA.nextOf("req");

    expect(await expireDeadlines(node)).toBe(1);
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect((await alice.outcome("slow")).header).toMatchObject({ t: "err", id: "slow", code: "timeout" });
    expect((await agentA.nextOf("cancel")).header).toEqual({ t: "cancel", rid: req.header.rid, reason: "timeout" });
    expect(await metrics(node)).toMatchObject({ pending: 0, timeouts: 1, rejections: { timeout: 1 } });
  });

  it("drops an answer that arrives after the timeout and counts it as a late answer", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("slow", "{}");
    const req = await agentA.nextOf("req");
    await expireDeadlines(node);
    await runDurableObjectAlarm(node.stub);
    await alice.outcome("slow");

    agentA.send(encodeFrame({ t: "res", rid: req.header.rid }, "too late"));
    await agentA.sync();
    expect(await alice.drain()).toEqual([]);
    // The operator's view, through the admin API.
    const res = await adminFetch(`/v1/admin/nodes/${node.id}/metrics`);
    expect(res.status).toBe(200);
    const snapshot = await res.json<Snapshot>();
    expect(snapshot.drops).toEqual({ late_answer: 1 });
    expect(snapshot.answers).toBe(0);
  });

  it("leaves a request whose deadline has not come alone when the alarm fires", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("patient", "{}");
    const req = await agentA.nextOf("req");
    // Something is always scheduled here (the metrics flush, the 5 s deadline): fire it early.
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);

    expect(await alice.drain()).toEqual([]);
    expect(await agentA.drain(["session"])).toEqual([]);
    agentA.send(encodeFrame({ t: "res", rid: req.header.rid }, "in time"));
    expect((await alice.outcome("patient")).payload).toBe("in time");
    expect(await metrics(node)).toMatchObject({ timeouts: 0, answers: 1 });
  });

  it("restarts the deadline on each chunk of a stream, so a stream that keeps talking is not timed out", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("stream", "{}");
    const { rid } = (await agentA.nextOf("req")).header;
    await expireDeadlines(node);

    agentA.send(encodeFrame({ t: "chunk", rid }, "part 1"));
    expect((await alice.nextOf("chunk")).payload).toBe("part 1");
    await runDurableObjectAlarm(node.stub);
    agentA.send(encodeFrame({ t: "end", rid }, "done"));
    expect((await alice.outcome("stream")).header).toEqual({ t: "end", id: "stream" });
    expect(await metrics(node)).toMatchObject({ timeouts: 0, chunks: 1, answers: 1 });
  });

  it("times out a stream at its absolute cap even while chunks keep coming", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("endless", "{}");
    const { rid } = (await agentA.nextOf("req")).header;
    // Started long ago: past ORA_RELAY_STREAM_MAX_SEC (600 s by default), so a chunk cannot extend it.
    await internals(node, (inner) => {
      for (const entry of inner.mux.pending.entries()) entry.startedAt = 0;
    });

    agentA.send(encodeFrame({ t: "chunk", rid }, "part 1"));
    await alice.nextOf("chunk");
    // The chunk set the alarm to the capped deadline, which is already past, so the runtime may have
    // fired it by now; if not, fire it.
    await runDurableObjectAlarm(node.stub);
    expect((await alice.outcome("endless")).header).toMatchObject({ t: "err", code: "timeout" });
    expect((await agentA.nextOf("cancel")).header).toEqual({ t: "cancel", rid, reason: "timeout" });
  });
});

describe("handshake deadline", () => {
  it("closes a socket that has not said hello by the deadline with 4008, and leaves the others open", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    const mute = await open("mallory", "/v1/client/connect", device.credential);
    const muteAgent = await open("mallory-agent", "/v1/node/connect", node.credential);

    const moved = await internals(node, (inner) => {
      let n = 0;
      for (const peer of inner.mux.conns.bySocket.values()) {
        peer.openedAt = 0;
        n++;
      }
      return n;
    });
    expect(moved).toBe(3);
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);

    expect((await mute.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
    expect((await muteAgent.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
    await alice.sync();
    expect(await metrics(node)).toMatchObject({ sessions: 1, rejections: { hello_required: 2 } });
  });

  it("keeps a socket that has not said hello yet when its deadline is still ahead", async () => {
    const node = await registerNode();
    const alice = await open("alice", "/v1/client/connect", (await mintDevice(node, "alice-phone")).credential);
    // The 1 s metrics flush comes due well before the 5 s handshake deadline.
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    alice.send(encodeFrame({ t: "hello", v: 1 }));
    expect((await alice.nextOf("welcome")).header).toMatchObject({ online: false });
  });
});

describe("credential expiry of live sessions", () => {
  it("closes a session with 4001 when its device's credential reaches its absolute expiry, and leaves the others open", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    const bob = await client("bob", await mintDevice(node, "bob-phone"));
    alice.requestRaw("pending", "{}");
    const req = await agentA.nextOf("req");
    const aliceSession = (alice.welcome.header as { session: string }).session;
    // Alice's credential expires now (instead of in a year): only her session is due.
    const moved = await internals(node, (inner) => {
      let n = 0;
      for (const peer of inner.mux.conns.bySocket.values()) {
        if (peer.kind === "client" && peer.sid === aliceSession) {
          peer.until = Date.now() - 1;
          n++;
        }
      }
      return n;
    });
    expect(moved).toBe(1);
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect((await alice.closed).code).toBe(CloseCode.UNAUTHORIZED);
    expect((await agentA.nextOf("cancel")).header).toEqual({ t: "cancel", rid: req.header.rid, reason: "revoked" });
    await bob.sync();
    expect(await metrics(node)).toMatchObject({ sessions: 1, pending: 0 });
  });

  it("records the credential's absolute expiry with the session, so it holds after hibernation", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "carol-phone");
    await client("carol", device);
    const untils = await internals(node, (inner) => [...inner.mux.conns.bySocket.values()].filter((p) => p.kind === "client").map((p) => p.until));
    expect(untils).toHaveLength(1);
    expect(untils[0]).toBeGreaterThan(Date.now() + 300 * 86_400_000); // ORA_DEVICE_MAX_DAYS: 365 by default
  });
});
