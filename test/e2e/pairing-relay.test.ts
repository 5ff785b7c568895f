/**
 * The relay's side of pairing with real sockets against the relay in workerd: a host (the agent's
 * `pair` command) and claimants (phones and browsers) meeting on a nameplate, and every way that
 * meeting can go wrong. The relay only carries opaque msg frames; the PAKE on top is not its concern.
 */
import { CloseCode, encodeFrame, PAIR_MESSAGE_LIMITS, PairCloseCode } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimant, claimed, client, offeringHost, pairHost, scriptedAgent } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("pairing through the relay", () => {
  let relay: Relay;

  // Every claim here comes from 127.0.0.1: the per-address and per-Node limits are raised so that
  // only the tests below that are about them meet them.
  beforeAll(async () => {
    relay = await startRelay({ ORA_PAIR_CLAIMS_PER_MINUTE: "10000", ORA_PAIR_CLAIMS_PER_HOUR: "10000" });
  });
  afterAll(() => relay?.dispose());

  it("carries msg frames both ways unchanged, then burns the offer when the host reports the outcome", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const { nameplate } = alice.offer.header;
    const bob = await claimed("bob-phone", relay.url, nameplate);
    expect(bob.reply.text).toBe('{"t":"peer"}');
    expect((await alice.next((f) => f.header.t === "peer")).text).toBe('{"t":"peer"}');

    const fromHost = 'cpace share 1\n{"not":"a header"}\n\u00e9\u{1F511}';
    const fromClaimant = "Y2xhaW1hbnQgc2hhcmU=";
    alice.send(encodeFrame({ t: "msg" }, fromHost));
    bob.send(encodeFrame({ t: "msg" }, fromClaimant));
    expect((await bob.next((f) => f.header.t === "msg")).text).toBe(encodeFrame({ t: "msg" }, fromHost));
    expect((await alice.next((f) => f.header.t === "msg")).text).toBe(encodeFrame({ t: "msg" }, fromClaimant));

    alice.send('{"t":"done","ok":true}');
    expect((await alice.closed).code).toBe(PairCloseCode.DONE);
    expect((await bob.closed).code).toBe(PairCloseCode.DONE);
    const { entries, text } = await relay.audit(node.nodeId);
    expect(entries.map((e) => e.kind)).toEqual(["pair_ok", "pair_offer"]);
    for (const payload of ["cpace share", fromClaimant]) expect(text).not.toContain(payload);

    // Single use: the nameplate no longer leads anywhere.
    const late = await claimed("late", relay.url, nameplate);
    expect(late.reply.header).toMatchObject({ t: "err", code: "not_found" });
    expect((await late.closed).code).toBe(PairCloseCode.REFUSED);
  });

  it("records a failed pairing when the host reports one, tells the claimant pairing_failed and burns the offer", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const mallory = await claimed("mallory", relay.url, alice.offer.header.nameplate);
    alice.send('{"t":"done","ok":false}');
    expect((await mallory.next((f) => f.header.t === "err")).header).toMatchObject({ code: "pairing_failed" });
    expect((await mallory.closed).code).toBe(PairCloseCode.DONE);
    expect((await relay.audit(node.nodeId)).entries[0]).toMatchObject({ kind: "pair_failed", detail: expect.stringMatching(/^src=[A-Za-z0-9_-]{8}$/) });
  });

  it("answers a second claimant with crowded and leaves the first pairing alone", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const { nameplate } = alice.offer.header;
    const bob = await claimed("bob", relay.url, nameplate);
    const cathy = await claimed("cathy", relay.url, nameplate);
    expect(cathy.reply.header).toMatchObject({ t: "err", code: "crowded" });
    expect((await cathy.closed).code).toBe(PairCloseCode.REFUSED);
    alice.send(encodeFrame({ t: "msg" }, "still for bob"));
    expect((await bob.next((f) => f.header.t === "msg")).payload).toBe("still for bob");
  });

  it("answers an unknown or malformed nameplate with not_found on an open socket, and a plain GET with JSON", async () => {
    for (const nameplate of ["987654", "0", "abc", "1234567"]) {
      const nobody = await claimed("nobody", relay.url, nameplate);
      expect(nobody.reply.header).toMatchObject({ t: "err", code: "not_found" });
      expect((await nobody.closed).code).toBe(PairCloseCode.REFUSED);
    }
    const plain = await fetch(new URL("/v1/pair/1", relay.url));
    expect(plain.status).toBe(426);
    expect(await plain.json()).toMatchObject({ code: "bad_request" });
  });

  it("tells the claimant when the host goes away mid-pairing, and burns the offer", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const bob = await claimed("bob", relay.url, alice.offer.header.nameplate);
    await alice.closeAndWait();
    expect((await bob.next((f) => f.header.t === "err")).header).toMatchObject({ code: "node_offline" });
    expect((await bob.closed).code).toBe(PairCloseCode.ABORTED);
    expect((await relay.audit(node.nodeId)).entries[0]).toMatchObject({ kind: "pair_failed", detail: expect.stringContaining("host left") });
    expect((await claimed("again", relay.url, alice.offer.header.nameplate)).reply.header.code).toBe("not_found");
  });

  it("burns the offer when the claimant goes away after claiming, and tells the host", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const bob = await claimed("bob", relay.url, alice.offer.header.nameplate);
    await bob.closeAndWait();
    expect((await alice.next((f) => f.header.t === "err")).header).toMatchObject({ code: "pairing_failed" });
    expect((await alice.closed).code).toBe(PairCloseCode.ABORTED);
    expect((await claimed("again", relay.url, alice.offer.header.nameplate)).reply.header.code).toBe("not_found");
  });

  it("keeps the offer when a claimant leaves before claiming", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const shy = await claimant("shy", relay.url, alice.offer.header.nameplate);
    await shy.closeAndWait();
    expect((await claimed("bob", relay.url, alice.offer.header.nameplate)).reply.text).toBe('{"t":"peer"}');
  });

  it("refuses an oversize msg with too_large, tells the other end pairing_failed and burns the offer", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const bob = await claimed("bob", relay.url, alice.offer.header.nameplate);
    const header = encodeFrame({ t: "msg" });
    bob.send(encodeFrame({ t: "msg" }, "x".repeat(PAIR_MESSAGE_LIMITS.bytes - header.length - 1)));
    expect((await alice.next((f) => f.header.t === "msg")).payload).toHaveLength(PAIR_MESSAGE_LIMITS.bytes - header.length - 1);
    bob.send(encodeFrame({ t: "msg" }, "x".repeat(PAIR_MESSAGE_LIMITS.bytes - header.length)));
    expect((await bob.next((f) => f.header.t === "err")).header).toMatchObject({ code: "too_large" });
    expect((await alice.next((f) => f.header.t === "err")).header).toMatchObject({ code: "pairing_failed" });
    expect((await bob.closed).code).toBe(PairCloseCode.ABORTED);
    expect((await alice.closed).code).toBe(PairCloseCode.ABORTED);
    expect(alice.frames.filter((f) => f.header.t === "msg")).toEqual([]);
  });

  it("refuses more msg frames than each end may send and burns the offer", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const bob = await claimed("bob", relay.url, alice.offer.header.nameplate);
    for (let i = 0; i < PAIR_MESSAGE_LIMITS.count; i++) {
      alice.send(encodeFrame({ t: "msg" }, `m${i}`));
      expect((await bob.next((f) => f.header.t === "msg")).payload).toBe(`m${i}`);
    }
    alice.send(encodeFrame({ t: "msg" }, "one too many"));
    expect((await alice.next((f) => f.header.t === "err")).header).toMatchObject({ code: "rate_limited" });
    expect((await bob.next((f) => f.header.t === "err")).header).toMatchObject({ code: "pairing_failed" });
    expect((await bob.closed).code).toBe(PairCloseCode.ABORTED);
    expect(bob.frames.filter((f) => f.payload === "one too many")).toEqual([]);
  });

  it("refuses a msg before there is a peer and a claim of a bad version", async () => {
    const node = await relay.register();
    const alice = await offeringHost("alice-pc", relay.url, node.credential);
    const early = await pairHost("early", relay.url, node.credential);
    early.send('{"t":"msg"}\ntoo soon');
    expect((await early.next()).header).toMatchObject({ t: "err", code: "bad_frame" });
    expect((await early.closed).code).toBe(CloseCode.POLICY);
    const future = await claimant("future", relay.url, alice.offer.header.nameplate);
    future.send('{"t":"claim","v":99}');
    expect((await future.next()).header).toMatchObject({ t: "err", code: "upgrade_required" });
    expect((await future.closed).code).toBe(CloseCode.UPGRADE_REQUIRED);
  });

  it("does not let a pairing host replace or disturb the agent's connection", async () => {
    const node = await relay.register();
    const agent = await scriptedAgent("agent", relay.url, node.credential);
    const { credential } = await relay.mintDevice(node.credential, "alice");
    const alice = await client("alice", relay.url, credential);
    const host = await offeringHost("pair-command", relay.url, node.credential);
    const bob = await claimed("bob", relay.url, host.offer.header.nameplate);
    host.send('{"t":"done","ok":true}');
    await bob.closed;
    await host.closed;

    expect((await relay.metrics(node.nodeId)).connected).toBe(true);
    alice.request("a1", "echo");
    const req = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, JSON.stringify({ ok: true, result: 1 })));
    expect((await alice.outcome("a1")).header.t).toBe("res");
    expect(agent.frames.filter((f) => f.header.t === "node")).toEqual([]);
    expect(alice.frames.filter((f) => f.header.t === "node")).toEqual([]);
    await Promise.all([alice.closeAndWait(), agent.closeAndWait()]);
  });
});

describe("pairing offers that expire", () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ ORA_PAIR_MAX_TTL_SEC: "0.5" });
  });
  afterAll(() => relay?.dispose());

  it("grants at most ORA_PAIR_MAX_TTL_SEC, then tells host and claimant expired and frees the nameplate", async () => {
    const node = await relay.register();
    const started = Date.now();
    const alice = await offeringHost("alice-pc", relay.url, node.credential, 300);
    expect(alice.offer.header.expiresAt).toBeLessThanOrEqual(Date.now() + 500);
    expect(alice.offer.header.expiresAt).toBeGreaterThanOrEqual(started + 500);
    const bob = await claimed("bob", relay.url, alice.offer.header.nameplate);
    expect(bob.reply.header.t).toBe("peer");
    for (const end of [alice, bob]) {
      expect((await end.next((f) => f.header.t === "err")).header).toMatchObject({ code: "expired" });
      expect((await end.closed).code).toBe(PairCloseCode.EXPIRED);
    }
    expect((await relay.audit(node.nodeId)).entries[0]).toMatchObject({ kind: "pair_expired" });
    expect((await claimed("late", relay.url, alice.offer.header.nameplate)).reply.header.code).toBe("not_found");
  });
});

describe("pairing claim limits", () => {
  it("limits claims per client address per minute, before looking the nameplate up", async () => {
    const relay = await startRelay({ ORA_PAIR_CLAIMS_PER_MINUTE: "3" });
    try {
      const node = await relay.register();
      const alice = await offeringHost("alice-pc", relay.url, node.credential);
      for (const guess of ["900001", "900002", "900003"]) expect((await claimed("guesser", relay.url, guess)).reply.header.code).toBe("not_found");
      const refused = await claimed("guesser", relay.url, alice.offer.header.nameplate);
      expect(refused.reply.header).toMatchObject({ t: "err", code: "rate_limited" });
      expect((await refused.closed).code).toBe(PairCloseCode.REFUSED);
    } finally {
      await relay.dispose();
    }
  });

  it("limits claim attempts per nameplate", async () => {
    const relay = await startRelay({ ORA_PAIR_ATTEMPTS_PER_NAMEPLATE: "2" });
    try {
      const node = await relay.register();
      const alice = await offeringHost("alice-pc", relay.url, node.credential);
      const { nameplate } = alice.offer.header;
      expect((await claimed("bob", relay.url, nameplate)).reply.header.t).toBe("peer");
      expect((await claimed("cathy", relay.url, nameplate)).reply.header.code).toBe("crowded");
      expect((await claimed("mallory", relay.url, nameplate)).reply.header.code).toBe("rate_limited");
      // Another nameplate is not held back by this one.
      const other = await offeringHost("alice-pc-2", relay.url, node.credential);
      expect((await claimed("dave", relay.url, other.offer.header.nameplate)).reply.header.t).toBe("peer");
    } finally {
      await relay.dispose();
    }
  });

  it("does not count connections that never claim against the nameplate: the real device still pairs", async () => {
    const relay = await startRelay({ ORA_PAIR_ATTEMPTS_PER_NAMEPLATE: "2" });
    try {
      const node = await relay.register();
      const alice = await offeringHost("alice-pc", relay.url, node.credential);
      const { nameplate } = alice.offer.header;
      // Five sockets from someone who found the live nameplate but has no code: connected, silent.
      const lurkers = await Promise.all(["m1", "m2", "m3", "m4", "m5"].map((name) => claimant(name, relay.url, nameplate)));
      expect((await claimed("bob", relay.url, nameplate)).reply.header.t).toBe("peer");
      for (const lurker of lurkers) lurker.ws.close();
    } finally {
      await relay.dispose();
    }
  });

  it("limits claims per Node per hour across its offers", async () => {
    const relay = await startRelay({ ORA_PAIR_CLAIMS_PER_HOUR: "2" });
    try {
      const node = await relay.register();
      for (const name of ["first", "second"]) {
        const host = await offeringHost(`${name}-offer`, relay.url, node.credential);
        expect((await claimed(name, relay.url, host.offer.header.nameplate)).reply.header.t).toBe("peer");
        host.send('{"t":"done","ok":true}');
        await host.closed;
      }
      const third = await offeringHost("third-offer", relay.url, node.credential);
      const refused = await claimed("third", relay.url, third.offer.header.nameplate);
      expect(refused.reply.header).toMatchObject({ code: "rate_limited" });
      // Another Node's offers are not held back by this one's.
      const other = await relay.register();
      const elsewhere = await offeringHost("elsewhere", relay.url, other.credential);
      expect((await claimed("elsewhere", relay.url, elsewhere.offer.header.nameplate)).reply.header.t).toBe("peer");
    } finally {
      await relay.dispose();
    }
  });
});
