/**
 * The Node object's state machine, driven through real WebSockets inside workerd: hello, routing of
 * requests and answers, the mux limits, and what happens when either side goes away.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { describe, expect, it } from "vitest";
import { agent, client, metrics, mintDevice, open, registerNode } from "./relay.js";

const LIMITS = { maxPending: 8, maxPendingPerSession: 2, timeoutSec: 5 };

describe("hello", () => {
  it("welcomes an agent with its Node id, the relay's limits and the sessions already open", async () => {
    const node = await registerNode();
    const alice = await client("alice", await mintDevice(node, "alice-phone", "sub-admin"));
    const agentA = await agent("agent", node);
    expect(agentA.welcome.header).toMatchObject({ t: "welcome", v: 1, node: node.id, limits: LIMITS });
    expect(agentA.welcome.header.sessions).toEqual([{ s: alice.welcome.header.session, dev: alice.welcome.header.device, role: "sub-admin" }]);
  });

  it("welcomes a client with its session, device and role, and says whether the agent is online", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone", "guest");
    const early = await client("alice-early", device);
    expect(early.welcome.header).toMatchObject({ t: "welcome", v: 1, device: device.id, role: "guest", online: false, limits: LIMITS });

    const agentA = await agent("agent", node);
    expect(await early.nextOf("node")).toMatchObject({ header: { t: "node", online: true } });

    const late = await client("alice-late", device);
    expect(late.welcome.header).toMatchObject({ online: true, device: device.id });
    expect(late.welcome.header.session).not.toBe(early.welcome.header.session);
    expect(await agentA.nextOf("session")).toMatchObject({
      header: { t: "session", s: late.welcome.header.session, dev: device.id, role: "guest", open: true },
    });
  });

  it("answers a client's request before hello with hello_required under the request's id, and forwards nothing", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await open("alice", "/v1/client/connect", (await mintDevice(node, "alice-phone")).credential);
    alice.requestRaw("a1", "{}");
    expect((await alice.nextOf("err")).header).toEqual({ t: "err", id: "a1", code: "hello_required", message: expect.any(String) });
    expect(await agentA.drain(["session"])).toEqual([]);
    expect((await metrics(node)).pending).toBe(0);
  });

  it("answers an agent's answer before hello with hello_required", async () => {
    const node = await registerNode();
    const agentA = await open("agent", "/v1/node/connect", node.credential);
    agentA.send(encodeFrame({ t: "res", rid: 1 }, "{}"));
    expect((await agentA.nextOf("err")).header).toMatchObject({ code: "hello_required", rid: 1 });
    expect((await metrics(node)).connected).toBe(false);
  });
});

describe("routing", () => {
  it("forwards a request to the agent as req with a relay id, session, device and role, the payload byte for byte", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const device = await mintDevice(node, "alice-phone", "sub-admin");
    const alice = await client("alice", device);
    // A second newline, CR, NUL escapes, non-ASCII and an astral character: the relay must not touch any of it.
    const payload = '{"method":"echo","params":"a\\u0000b"}\nsecond line\r\n  é ✓ 😀 \t';
    alice.requestRaw("a1", payload);
    const req = await agentA.nextOf("req");
    expect(req.header).toEqual({ t: "req", rid: expect.any(Number), s: alice.welcome.header.session, dev: device.id, role: "sub-admin" });
    expect(req.payload).toBe(payload);

    const answer = '{"ok":true}\n\u2028 😀';
    agentA.send(encodeFrame({ t: "res", rid: req.header.rid }, answer));
    const res = await alice.outcome("a1");
    expect(res.header).toEqual({ t: "res", id: "a1" });
    expect(res.payload).toBe(answer);
  });

  it("routes each answer to the session that asked, under that session's own request id", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    const bob = await client("bob", await mintDevice(node, "bob-laptop"));
    // Both sessions use the same id: ids are scoped to a session.
    alice.requestRaw("same", "from alice");
    const forAlice = await agentA.nextOf("req");
    bob.requestRaw("same", "from bob");
    const forBob = await agentA.nextOf("req");
    expect(forAlice.header.s).toBe(alice.welcome.header.session);
    expect(forBob.header.s).toBe(bob.welcome.header.session);
    expect(forBob.header.rid).not.toBe(forAlice.header.rid);

    agentA.send(encodeFrame({ t: "res", rid: forBob.header.rid }, "to bob"));
    agentA.send(encodeFrame({ t: "res", rid: forAlice.header.rid }, "to alice"));
    expect((await bob.outcome("same")).payload).toBe("to bob");
    expect((await alice.outcome("same")).payload).toBe("to alice");
    expect(await alice.drain()).toEqual([]);
    expect(await bob.drain()).toEqual([]);
  });

  it("refuses a second pending request with the same id in one session with id_in_use, and frees the id once answered", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("a1", "first");
    const req = await agentA.nextOf("req");
    alice.requestRaw("a1", "second");
    // Under `dup`, not `id`: a1 is still pending and must end once, by its answer.
    expect((await alice.nextOf("err")).header).toEqual({ t: "err", dup: "a1", code: "id_in_use", message: expect.any(String) });
    expect(await agentA.drain(["session"])).toEqual([]);

    agentA.send(encodeFrame({ t: "res", rid: req.header.rid }, "done"));
    expect((await alice.outcome("a1")).payload).toBe("done");
    alice.requestRaw("a1", "again");
    expect((await agentA.nextOf("req")).payload).toBe("again");
  });

  it("refuses a session's third pending request with pending_limit while other sessions still get their share", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    const bob = await client("bob", await mintDevice(node, "bob-laptop"));
    alice.requestRaw("a1");
    alice.requestRaw("a2");
    alice.requestRaw("a3");
    expect((await alice.outcome("a3")).header).toMatchObject({ t: "err", id: "a3", code: "pending_limit" });
    bob.requestRaw("b1");
    await agentA.nextOf("req");
    await agentA.nextOf("req");
    expect((await agentA.nextOf("req")).header.s).toBe(bob.welcome.header.session);
    expect(await agentA.drain(["session"])).toEqual([]);
    expect(await alice.drain()).toEqual([]);
  });

  it("refuses a request with pending_limit once the Node as a whole has maxPending requests in flight", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const device = await mintDevice(node, "alice-phone");
    const sessions = [];
    for (let i = 0; i < LIMITS.maxPending / LIMITS.maxPendingPerSession + 1; i++) sessions.push(await client(`alice-${i}`, device));
    const full = sessions.slice(0, -1);
    for (const session of full) {
      session.requestRaw("r1");
      session.requestRaw("r2");
    }
    for (let i = 0; i < LIMITS.maxPending; i++) await agentA.nextOf("req");
    expect((await metrics(node)).pending).toBe(LIMITS.maxPending);

    const last = sessions.at(-1)!;
    last.requestRaw("r1");
    expect((await last.outcome("r1")).header).toMatchObject({ t: "err", code: "pending_limit" });
    expect(await agentA.drain(["session"])).toEqual([]);
    expect((await metrics(node)).rejections.pending_limit).toBe(1);
  });

  it("answers a request with node_offline when no agent is connected", async () => {
    const node = await registerNode();
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("a1", "{}");
    expect((await alice.outcome("a1")).header).toMatchObject({ t: "err", id: "a1", code: "node_offline" });
    expect((await metrics(node)).pending).toBe(0);
  });
});

describe("going away", () => {
  it("cancels a closed client's pending requests towards the agent with client_gone", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("a1");
    alice.requestRaw("a2");
    const rids = [(await agentA.nextOf("req")).header.rid, (await agentA.nextOf("req")).header.rid];
    await alice.closeAndWait();

    const cancels = [await agentA.nextOf("cancel"), await agentA.nextOf("cancel")].map((f) => f.header);
    expect(cancels).toEqual(expect.arrayContaining(rids.map((rid) => ({ t: "cancel", rid, reason: "client_gone" }))));
    const closedNotice = await agentA.next((f) => f.header.t === "session" && f.header.open === false);
    expect(closedNotice.header).toMatchObject({ s: alice.welcome.header.session, dev: alice.welcome.header.device });
    expect((await metrics(node)).pending).toBe(0);
  });

  it("fails every pending request with node_offline and tells every session when the agent goes away", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    const bob = await client("bob", await mintDevice(node, "bob-laptop"));
    alice.requestRaw("a1");
    bob.requestRaw("b1");
    bob.requestRaw("b2");
    for (let i = 0; i < 3; i++) await agentA.nextOf("req");
    await agentA.closeAndWait();

    for (const [peer, ids] of [
      [alice, ["a1"]],
      [bob, ["b1", "b2"]],
    ] as const) {
      for (const id of ids) expect((await peer.outcome(id)).header).toMatchObject({ t: "err", id, code: "node_offline" });
      expect((await peer.nextOf("node")).header).toEqual({ t: "node", online: false });
    }
    const after = await metrics(node);
    expect(after).toMatchObject({ pending: 0, connected: false });
    bob.requestRaw("b3");
    expect((await bob.outcome("b3")).header).toMatchObject({ code: "node_offline" });
  });

  it("replaces an agent's connection with a newer one, closing the old with 4009, and routes to the new one only", async () => {
    const node = await registerNode();
    const first = await agent("agent-1", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    alice.requestRaw("before");
    const stale = await first.nextOf("req");

    const second = await agent("agent-2", node);
    expect((await first.closed).code).toBe(CloseCode.REPLACED);
    // The new agent process never saw the old request, so it cannot be answered any more.
    expect((await alice.outcome("before")).header).toMatchObject({ t: "err", code: "node_offline" });
    expect(second.welcome.header.sessions).toEqual([expect.objectContaining({ s: alice.welcome.header.session })]);

    alice.requestRaw("after", "for the new agent");
    const req = await second.nextOf("req");
    expect(req.payload).toBe("for the new agent");
    expect(req.header.rid).not.toBe(stale.header.rid);
    second.send(encodeFrame({ t: "res", rid: req.header.rid }, "from the new agent"));
    expect((await alice.outcome("after")).payload).toBe("from the new agent");
    expect((await metrics(node)).connected).toBe(true);
  });
});
