/**
 * The relay's lockdown (worker/src/node/lockdown.ts) inside workerd: PUT/DELETE /v1/node/lockdown with
 * the Node's credential, the sessions it closes and keeps, what it refuses while set, and that the
 * flag outlives the object's eviction.
 */
import { CloseCode } from "@ora/protocol";
import { evictDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agent, claimant, client, metrics, mintDevice, nodeSql, offer, pairHost, registerNode, upgradeRequest, type Node } from "./relay.js";

function lockdown(node: Node, method: "PUT" | "DELETE", body?: unknown, credential = node.credential): Promise<Response> {
  return SELF.fetch("http://relay/v1/node/lockdown", {
    method,
    headers: { Authorization: `Bearer ${credential}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** The first frame of a refused client upgrade, and its close code. */
async function refused(credential: string): Promise<{ frame: unknown; code: number }> {
  const res = await upgradeRequest("/v1/client/connect", credential);
  const ws = res.webSocket!;
  const frame = new Promise<unknown>((resolve) => ws.addEventListener("message", (event) => resolve(JSON.parse(String(event.data)))));
  const code = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
  ws.accept();
  return { frame: await frame, code: await code };
}

describe("the relay's lockdown", () => {
  it("closes every client session but the kept device's with 4012 and refuses the others' return", async () => {
    const node = await registerNode();
    await agent("agent", node);
    const phone = await mintDevice(node, "phone");
    const laptop = await mintDevice(node, "laptop");
    const guest = await mintDevice(node, "guest", "guest");
    const alice = await client("alice", phone);
    const bob = await client("bob", laptop);
    const cathy = await client("cathy", guest);

    const res = await lockdown(node, "PUT", { keepDevice: phone.id });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ locked: true, closedSessions: 2, since: expect.any(Number) });
    expect((await bob.closed).code).toBe(CloseCode.LOCKED_DOWN);
    expect((await cathy.closed).code).toBe(CloseCode.LOCKED_DOWN);
    await alice.sync();
    expect(await refused(laptop.credential)).toEqual({ frame: expect.objectContaining({ t: "err", code: "locked_down" }), code: CloseCode.LOCKED_DOWN });
    // The kept device may come back (a reload, a network change).
    await client("alice again", phone);
    expect((await metrics(node)).lockdown).toMatchObject({ active: 1, entered: 1, closedSessions: 2, refusedSessions: 1 });
  });

  it("is idempotent: entering again keeps its first time and closes only what opened since", async () => {
    const node = await registerNode();
    const first = await (await lockdown(node, "PUT", {})).json<{ since: number }>();
    const again = await (await lockdown(node, "PUT", {})).json<{ since: number; closedSessions: number }>();
    expect(again).toEqual({ locked: true, since: first.since, closedSessions: 0 });
    expect((await metrics(node)).lockdown).toMatchObject({ entered: 1 });
  });

  it("refuses pairing offers while set, and burns an offer that was open so that its code finds nothing", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    const { nameplate } = await offer(host);
    await lockdown(node, "PUT", {});
    expect((await host.nextOf("err")).header).toMatchObject({ code: "locked_down" });
    const late = await pairHost("late host", node);
    late.send(JSON.stringify({ t: "offer", v: 1, ttl: 60 }));
    expect((await late.nextOf("err")).header).toMatchObject({ code: "locked_down" });
    const bob = await claimant("bob", nameplate);
    bob.send('{"t":"claim","v":1}');
    expect((await bob.nextOf("err")).header).toMatchObject({ code: "not_found" });
  });

  it("refuses a claim that reaches an offer made before the flag was set", async () => {
    const node = await registerNode();
    const { nameplate } = await offer(await pairHost("host", node));
    // The flag as a lockdown that raced the offer leaves it: set in storage, read by the object after a wake-up.
    await nodeSql(node, "INSERT INTO meta (key, value) VALUES ('lockdown', ?)", JSON.stringify({ since: Date.now(), keep: null }));
    await evictDurableObject(node.stub);
    const bob = await claimant("bob", nameplate);
    bob.send('{"t":"claim","v":1}');
    expect((await bob.nextOf("err")).header).toMatchObject({ code: "locked_down" });
  });

  it("survives the object's eviction, and DELETE lifts it", async () => {
    const node = await registerNode();
    const phone = await mintDevice(node, "phone");
    await lockdown(node, "PUT", {});
    await evictDurableObject(node.stub);
    expect((await refused(phone.credential)).code).toBe(CloseCode.LOCKED_DOWN);
    const lifted = await lockdown(node, "DELETE");
    expect(await lifted.json()).toEqual({ locked: false, since: null, closedSessions: 0 });
    await client("alice", phone);
    expect((await metrics(node)).lockdown).toMatchObject({ active: 0, entered: 1, lifted: 1 });
  });

  it("takes only the Node's credential and a valid body", async () => {
    const node = await registerNode();
    const phone = await mintDevice(node, "phone");
    expect((await lockdown(node, "PUT", {}, phone.credential)).status).toBe(401);
    expect((await lockdown(node, "PUT", { keepDevice: "not a device id!" })).status).toBe(400);
    expect((await metrics(node)).lockdown).toMatchObject({ active: 0 });
  });
});
