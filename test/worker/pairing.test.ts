/**
 * Pairing inside workerd: nameplates from the registry, offers that outlive the object's instance,
 * expiry by the Node's one alarm, and the pairing host beside the agent's connection.
 */
import { CloseCode, PairCloseCode } from "@ora/protocol";
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agent, claimant, client, internals, metrics, mintDevice, nodeSql, offer, pairHost, registerNode, type Node } from "./relay.js";

/** A registry object of its own, so that nameplates start from 1 whatever other tests hold. */
function freshRegistry() {
  return env.REGISTRY.get(env.REGISTRY.idFromName(crypto.randomUUID()));
}

async function evict(node: Node): Promise<void> {
  await internals(node, (inner) => Object.assign(inner, { evictionMark: true }));
  await evictDurableObject(node.stub);
  expect(await internals(node, (inner) => "evictionMark" in inner)).toBe(false);
}

describe("nameplates", () => {
  it("hands out the lowest free nameplate and reuses one once it is released", async () => {
    const registry = freshRegistry();
    const later = Date.now() + 60_000;
    expect(await registry.allocateNameplate("n", "a", later)).toBe("1");
    expect(await registry.allocateNameplate("n", "b", later)).toBe("2");
    expect(await registry.allocateNameplate("n", "c", later)).toBe("3");
    await registry.releaseNameplate("2", "b");
    expect(await registry.allocateNameplate("n", "d", later)).toBe("2");
    expect(await registry.allocateNameplate("n", "e", later)).toBe("4");
  });

  it("counts a nameplate past its expiry as free, and ignores a release by an offer that no longer holds it", async () => {
    const registry = freshRegistry();
    expect(await registry.allocateNameplate("n", "old", Date.now() - 1)).toBe("1");
    expect(await registry.allocateNameplate("n", "new", Date.now() + 60_000)).toBe("1");
    await registry.releaseNameplate("1", "old");
    expect(await registry.allocateNameplate("n", "next", Date.now() + 60_000)).toBe("2");
  });
});

describe("offers", () => {
  it("answers an offer with a nameplate and its expiry, and records it in the audit", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    const before = Date.now();
    const { nameplate, expiresAt } = await offer(host, 120);
    expect(nameplate).toMatch(/^[1-9][0-9]*$/);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    expect(await nodeSql(node, "SELECT kind, detail FROM audit WHERE kind = 'pair_offer'")).toEqual([
      { kind: "pair_offer", detail: `nameplate=${nameplate} ttl=120` },
    ]);
  });

  it("keeps an offer across eviction, so a claim after the wake-up meets the host", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    const { nameplate } = await offer(host);
    await evict(node);

    const bob = await claimant("bob", nameplate);
    bob.send('{"t":"claim","v":1}');
    expect((await bob.nextOf("peer")).text).toBe('{"t":"peer"}');
    expect((await host.nextOf("peer")).text).toBe('{"t":"peer"}');
    await evict(node);
    host.send('{"t":"msg"}\nafter two evictions');
    expect((await bob.nextOf("msg")).payload).toBe("after two evictions");
  });

  it("expires an offer by the alarm: the host gets expired, the socket closes and the nameplate is free again", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    const { nameplate } = await offer(host);
    await nodeSql(node, "UPDATE offers SET expires_at = 0");
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);

    expect((await host.nextOf("err")).header).toMatchObject({ t: "err", code: "expired" });
    expect((await host.closed).code).toBe(PairCloseCode.EXPIRED);
    expect(await nodeSql(node, "SELECT nameplate FROM offers")).toEqual([]);
    expect(await nodeSql(node, "SELECT detail FROM audit WHERE kind = 'pair_expired'")).toEqual([{ detail: `nameplate=${nameplate}` }]);
    // Released in the registry (not merely left to lapse), and a claim no longer finds it.
    const held = await runInDurableObject(env.REGISTRY.get(env.REGISTRY.idFromName("registry")), (_instance, state) =>
      state.storage.sql.exec("SELECT nameplate FROM nameplates WHERE nameplate = ?", Number(nameplate)).toArray(),
    );
    expect(held).toEqual([]);
    const late = await claimant("late", nameplate);
    expect((await late.nextOf("err")).header).toMatchObject({ code: "not_found" });
    expect((await late.closed).code).toBe(PairCloseCode.REFUSED);
  });

  it("tells a claimant of an expired offer too", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    const { nameplate } = await offer(host);
    const bob = await claimant("bob", nameplate);
    bob.send('{"t":"claim","v":1}');
    await bob.nextOf("peer");
    await nodeSql(node, "UPDATE offers SET expires_at = 0");
    await runDurableObjectAlarm(node.stub);
    for (const end of [host, bob]) {
      expect((await end.nextOf("err")).header.code).toBe("expired");
      expect((await end.closed).code).toBe(PairCloseCode.EXPIRED);
    }
  });

  it("closes a pairing socket that makes no offer before the handshake deadline", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    await internals(node, (inner) => {
      for (const att of inner.pairing.sockets.values()) att.openedAt = 0;
    });
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect((await host.closed).code).toBe(CloseCode.HELLO_TIMEOUT);
  });

  it("holds at most four offers per Node and refuses a fifth with rate_limited", async () => {
    const node = await registerNode();
    for (let i = 0; i < 4; i++) await offer(await pairHost(`host${i}`, node));
    const fifth = await pairHost("host4", node);
    fifth.send('{"t":"offer","v":1,"ttl":60}');
    expect((await fifth.nextOf("err")).header).toMatchObject({ code: "rate_limited" });
    expect((await fifth.closed).code).toBe(PairCloseCode.REFUSED);
  });

  it("allows one offer per host socket", async () => {
    const node = await registerNode();
    const host = await pairHost("host", node);
    await offer(host);
    host.send('{"t":"offer","v":1,"ttl":60}');
    expect((await host.nextOf("err")).header).toMatchObject({ code: "bad_frame" });
    expect((await host.closed).code).toBe(CloseCode.POLICY);
    expect(await nodeSql(node, "SELECT nameplate FROM offers")).toEqual([]);
  });
});

describe("the pairing host and the agent", () => {
  it("leaves the agent's connection and its sessions alone while a pairing host comes and goes", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const alice = await client("alice", await mintDevice(node, "alice-phone"));
    const host = await pairHost("host", node);
    await offer(host);
    await host.closeAndWait();
    expect(await metrics(node)).toMatchObject({ connected: true, sessions: 1, agentConnects: 1 });
    expect(await agentA.drain(["session"])).toEqual([]);
    alice.requestRaw("a1", "still routed");
    const req = await agentA.nextOf("req");
    agentA.send(`{"t":"res","rid":${req.header.rid}}\nyes`);
    expect((await alice.outcome("a1")).payload).toBe("yes");
  });

  it("refuses a pairing host without the Node credential", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await expect(pairHost("mallory", { ...node, credential: device.credential })).rejects.toThrow(/HTTP 401/);
  });
});
