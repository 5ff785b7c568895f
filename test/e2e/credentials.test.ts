/**
 * Device credentials over real sockets against the relay in workerd: rotation over a live session,
 * the owner's rotation request, idle expiry, renaming, and the relay's audit trail of all of it.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, scriptedAgent } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

async function refused(relay: Relay, credential: string): Promise<boolean> {
  try {
    const peer = await client("probe", relay.url, credential);
    await peer.closeAndWait();
    return false;
  } catch (error) {
    expect(error).toMatchObject({ status: 401 });
    return true;
  }
}

describe("device credentials", () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(() => relay?.dispose());

  it("rotates over a live session: the new credential works and the old one is refused once the new one was used", async () => {
    const node = await relay.register();
    const device = await relay.mintDevice(node.credential, "alice-phone");
    const alice = await client("alice", relay.url, device.credential, "subprotocol");
    alice.send('{"t":"rotate"}');
    const fresh = (await alice.next((f) => f.header.t === "rotated")).header.credential as string;
    expect(fresh).toMatch(/^ora_dev_/);
    expect(fresh).not.toBe(device.credential);

    const again = await client("alice-again", relay.url, fresh, "subprotocol");
    expect(again.welcome.header.device).toBe(device.id);
    expect(await refused(relay, device.credential)).toBe(true);
    // The session that rotated goes on.
    alice.send('{"t":"ping","sync":1}');
    expect((await alice.next((f) => f.header.t === "pong")).text).toBe('{"t":"pong"}');
    await Promise.all([alice.closeAndWait(), again.closeAndWait()]);
  });

  it("asks a device the owner flagged to rotate: its sessions close, and the next welcome says rotate", async () => {
    const node = await relay.register();
    const device = await relay.mintDevice(node.credential, "bob-phone", "sub-admin");
    const bob = await client("bob", relay.url, device.credential);
    expect(bob.welcome.header.rotate).toBeUndefined();
    const res = await relay.requestRotation(node.credential, device.id);
    expect(await res.json()).toEqual({ closedSessions: 1 });
    expect((await bob.closed).code).toBe(CloseCode.GOING_AWAY);

    const back = await client("bob-back", relay.url, device.credential);
    expect(back.welcome.header.rotate).toBe(true);
    back.send('{"t":"rotate"}');
    const fresh = (await back.next((f) => f.header.t === "rotated")).header.credential as string;
    const rotated = await client("bob-rotated", relay.url, fresh);
    expect(rotated.welcome.header.rotate).toBeUndefined();
    await Promise.all([back.closeAndWait(), rotated.closeAndWait()]);
  });

  it("renames a device", async () => {
    const node = await relay.register();
    const device = await relay.mintDevice(node.credential, "cathy-phone", "guest");
    const res = await relay.renameDevice(node.credential, device.id, "Cathy's new phone");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: device.id, name: "Cathy's new phone", role: "guest" });
    const { devices } = (await (await fetch(new URL("/v1/node/devices", relay.url), { headers: { Authorization: `Bearer ${node.credential}` } })).json()) as {
      devices: { id: string; name: string }[];
    };
    expect(devices).toEqual([expect.objectContaining({ id: device.id, name: "Cathy's new phone" })]);
  });

  it("keeps an audit trail of connections and rotations with neither credentials nor payloads in it", async () => {
    const node = await relay.register();
    const agent = await scriptedAgent("agent", relay.url, node.credential);
    const device = await relay.mintDevice(node.credential, "dave-phone");
    const dave = await client("dave", relay.url, device.credential);
    dave.send('{"t":"rotate"}');
    const fresh = (await dave.next((f) => f.header.t === "rotated")).header.credential as string;
    const canary = "payload-canary-5d1e0c";
    dave.request("r1", "echo", { canary });
    const req = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, JSON.stringify({ ok: true, result: canary })));
    await dave.outcome("r1");
    await dave.closeAndWait();
    await agent.closeAndWait();

    const { text, entries } = await relay.audit(node.nodeId);
    expect(entries.map((e) => e.kind).reverse()).toEqual([
      "agent_connect",
      "credential_issued",
      "client_connect",
      "credential_rotated",
      "client_disconnect",
      "agent_disconnect",
    ]);
    expect(entries.filter((e) => e.kind.startsWith("client") || e.kind.startsWith("credential")).every((e) => e.device === device.id)).toBe(true);
    for (const secret of [node.credential, device.credential, fresh, canary, "127.0.0.1"]) expect(text).not.toContain(secret);

    // The Node reads the same trail with its own credential.
    const own = await relay.nodeAudit(node.credential, "?limit=2");
    expect(own.status).toBe(200);
    expect(((await own.json()) as { entries: { kind: string }[] }).entries.map((e) => e.kind)).toEqual(["agent_disconnect", "client_disconnect"]);
    expect((await relay.nodeAudit(device.credential)).status).toBe(401);
  });
});

describe("idle device credentials", () => {
  let relay: Relay;
  // About 1.7 s of idleness is the limit here, so that the test can wait it out.
  beforeAll(async () => {
    relay = await startRelay({ ORA_DEVICE_IDLE_DAYS: "0.00002" });
  });
  afterAll(() => relay?.dispose());

  it("refuses a device credential left unused for longer than ORA_DEVICE_IDLE_DAYS", async () => {
    const node = await relay.register();
    const used = await relay.mintDevice(node.credential, "used-phone");
    const idle = await relay.mintDevice(node.credential, "idle-phone");
    await (await client("used", relay.url, used.credential)).closeAndWait();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await (await client("used-again", relay.url, used.credential)).closeAndWait();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await refused(relay, used.credential)).toBe(false);
    expect(await refused(relay, idle.credential)).toBe(true);
  });
});
