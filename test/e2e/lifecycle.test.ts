/**
 * Connections coming and going: the agent process dying and coming back, a second agent, clients
 * leaving mid-request, revoked devices, sockets that never say hello.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { CloseCode, encodeFrame, OraClient, PROTOCOL_VERSION } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { client, open, scriptedAgent, until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("agent and client lifecycle", () => {
  let relay: Relay;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_HELLO_TIMEOUT_SEC: "0.5" });
  });
  afterAll(() => relay?.dispose());

  it("answers node_offline while no agent is connected and tells sessions when it comes and goes", async () => {
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    expect(alice.welcome.header.online).toBe(false);
    alice.request("r1", "ping");
    expect((await alice.outcome("r1")).header).toMatchObject({ t: "err", code: "node_offline" });
    const agent = await scriptedAgent("agent", relay.url, node.credential);
    expect((await alice.next((f) => f.header.t === "node")).header.online).toBe(true);
    await agent.closeAndWait();
    expect((await alice.next((f) => f.header.t === "node")).header.online).toBe(false);
    await alice.closeAndWait();
  });

  it("fails every pending request with node_offline when the agent process dies, and works again after it restarts", async () => {
    const stateDir = newStateDir();
    let agent = await startAgent(relay.url, stateDir);
    const { nodeId } = agent.node();
    const alice = await OraClient.connect({ identity: await provisionDevice(relay, agent, "alice") });
    const pending = [alice.request("sleep", { ms: 20_000 }), alice.request("sleep", { ms: 20_000 })];
    await until(async () => (await relay.metrics(nodeId)).pending === 2, 5000, "two pending");
    await agent.stop("SIGKILL");
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: "node_offline" });
    expect((await relay.metrics(nodeId)).pending).toBe(0);

    agent = await startAgent(relay.url, stateDir);
    expect(agent.node().nodeId).toBe(nodeId); // same registration, not a new Node
    await until(() => alice.online, 5000, "node back online");
    expect(await alice.request("echo", "again")).toBe("again");
    alice.close();
    await agent.stop();
  });

  it("replaces an older agent connection with a newer one and the older agent stops instead of fighting", async () => {
    // The same Node's state on a second machine (one state directory admits one agent locally).
    const stateDir = newStateDir();
    const first = await startAgent(relay.url, stateDir);
    const copy = newStateDir();
    for (const file of ["node.json", "secrets.json", "identity.json"]) copyFileSync(join(stateDir, file), join(copy, file));
    const second = await startAgent(relay.url, copy);
    expect(await first.exit()).toBe(4); // exits on its own with the fatal exit code
    expect(first.output()).toContain("another connection of this Node took over");
    const bob = await OraClient.connect({ identity: await provisionDevice(relay, second, "bob") });
    expect(await bob.request("ping")).toMatchObject({ pong: true });
    bob.close();
    await second.stop();
  });

  it("fails requests pending on a replaced connection and closes it with REPLACED", async () => {
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "cathy");
    const old = await scriptedAgent("old", relay.url, node.credential);
    const cathy = await client("cathy", relay.url, credential);
    cathy.request("c1", "echo");
    await old.next((f) => f.header.t === "req");
    const fresh = await scriptedAgent("fresh", relay.url, node.credential);
    expect((await old.closed).code).toBe(CloseCode.REPLACED);
    expect((await cathy.outcome("c1")).header).toMatchObject({ t: "err", code: "node_offline" });
    cathy.request("c2", "echo");
    const req = await fresh.next((f) => f.header.t === "req");
    fresh.send(encodeFrame({ t: "res", rid: req.header.rid }, JSON.stringify({ ok: true, result: 2 })));
    expect((await cathy.outcome("c2")).header.t).toBe("res");
    await Promise.all([cathy.closeAndWait(), fresh.closeAndWait()]);
  });

  it("cancels a request at the agent when its client goes away mid-request", async () => {
    const node = await relay.register();
    const agent = await scriptedAgent("agent", relay.url, node.credential);
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    expect((await agent.next((f) => f.header.t === "session")).header).toMatchObject({ open: true, role: "owner" });
    alice.request("gone", "echo");
    const req = await agent.next((f) => f.header.t === "req");
    await alice.closeAndWait();
    expect((await agent.next((f) => f.header.t === "cancel")).header).toEqual({ t: "cancel", rid: req.header.rid, reason: "client_gone" });
    expect((await agent.next((f) => f.header.t === "session")).header).toMatchObject({ open: false });
    expect((await relay.metrics(node.nodeId)).pending).toBe(0);
    await agent.closeAndWait();
  });

  it("closes a revoked device's live sessions at once, cancels its work and refuses it afterwards", async () => {
    const node = await relay.register();
    const agent = await scriptedAgent("agent", relay.url, node.credential);
    const guest = await relay.mintDevice(node.credential, "guest-phone", "guest");
    const owner = await relay.mintDevice(node.credential, "owner-laptop", "owner");
    const bob = await client("bob", relay.url, guest.credential);
    const alice = await client("alice", relay.url, owner.credential);
    bob.request("b1", "echo");
    const req = await agent.next((f) => f.header.t === "req");
    expect(req.header.role).toBe("guest");
    const started = Date.now();
    const response = await relay.revokeDevice(node.credential, guest.id);
    expect(await response.json()).toEqual({ closedSessions: 1 });
    expect((await bob.closed).code).toBe(CloseCode.REVOKED);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await agent.next((f) => f.header.t === "cancel")).header).toMatchObject({ rid: req.header.rid, reason: "revoked" });
    await expect(client("bob-again", relay.url, guest.credential)).rejects.toMatchObject({ status: 401 });
    // The owner's session is untouched.
    alice.request("a1", "echo");
    const ownerReq = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: ownerReq.header.rid }, JSON.stringify({ ok: true, result: 1 })));
    expect((await alice.outcome("a1")).header.t).toBe("res");
    await Promise.all([alice.closeAndWait(), agent.closeAndWait()]);
  });

  it("closes a socket that does not say hello before the handshake deadline", async () => {
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "mallory");
    const silentClient = await open("silent-client", relay.url, "/v1/client/connect", credential);
    const silentAgent = await open("silent-agent", relay.url, "/v1/node/connect", node.credential);
    expect((await silentClient.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
    expect((await silentAgent.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
  });

  it("refuses an unsupported protocol version with upgrade_required and closes", async () => {
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "old-app");
    const peer = await open("old-app", relay.url, "/v1/client/connect", credential);
    peer.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION + 1 }));
    expect((await peer.next()).header).toMatchObject({ t: "err", code: "upgrade_required" });
    expect((await peer.closed).code).toBe(CloseCode.UPGRADE_REQUIRED);
  });

  it("answers heartbeats with pong", async () => {
    const node = await relay.register();
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    alice.send('{"t":"ping"}');
    expect((await alice.next()).text).toBe('{"t":"pong"}');
    await alice.closeAndWait();
  });
});

describe("registration", () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ ORA_REGISTRATION_SECRET: "let-me-in-0123456789" });
  });
  afterAll(() => relay?.dispose());

  it("requires the registration secret when the operator sets one", async () => {
    const refused = await fetch(new URL("/v1/nodes", relay.url), { method: "POST" });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "unauthorized" });
    const wrong = await fetch(new URL("/v1/nodes", relay.url), { method: "POST", headers: { Authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const agent = await startAgent(relay.url, newStateDir(), { ORA_REGISTRATION_SECRET: "let-me-in-0123456789" });
    expect(agent.node().nodeId).toMatch(/^[0-9a-f]{32}$/);
    await agent.stop();
  });
});
