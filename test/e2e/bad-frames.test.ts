/**
 * Hostile and broken input: every kind gets a typed error or a close, the relay stays up, and no
 * pending entry leaks (checked through the operator's metrics).
 */
import { CloseCode, encodeFrame, PROTOCOL_VERSION } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answer, client, open, scriptedAgent, type Peer } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const deep = (n: number) => `{"t":"req","id":"deep","x":${"[".repeat(n)}${"]".repeat(n)}}`;

const CLIENT_CASES: { kind: string; frame: string | Buffer; code: string; id?: string }[] = [
  { kind: "header that is not JSON", frame: '{"t":"req",', code: "bad_frame" },
  { kind: "header that is a JSON array", frame: "[1,2,3]", code: "bad_frame" },
  { kind: "header that is JSON null", frame: "null", code: "bad_frame" },
  { kind: "empty frame", frame: "", code: "bad_frame" },
  { kind: "binary where text is expected", frame: Buffer.from([0x7b, 0x00, 0xff]), code: "bad_frame" },
  { kind: "id of the wrong type", frame: '{"t":"req","id":42}\n{}', code: "bad_frame" },
  { kind: "id with characters outside the id alphabet", frame: '{"t":"req","id":"../../etc"}\n{}', code: "bad_frame" },
  { kind: "id longer than 64 characters", frame: `{"t":"req","id":"${"a".repeat(65)}"}\n{}`, code: "bad_frame" },
  { kind: "unknown frame type", frame: '{"t":"launch","id":"u1"}', code: "bad_frame", id: "u1" },
  { kind: "missing type", frame: '{"id":"m1"}', code: "bad_frame", id: "m1" },
  { kind: "request without an id", frame: '{"t":"req"}\n{}', code: "bad_frame" },
  { kind: "number too large for a double", frame: '{"t":"ack","bytes":1e400}', code: "bad_frame" },
  { kind: "integer beyond 2^53", frame: '{"t":"ack","bytes":123456789012345678901234567890}', code: "bad_frame" },
  { kind: "negative count", frame: '{"t":"ack","bytes":-1}', code: "bad_frame" },
  { kind: "deeply nested header", frame: deep(5000), code: "bad_frame" },
  { kind: "header longer than the header limit", frame: `{"t":"req","id":"long","pad":"${" ".repeat(600)}"}\n{}`, code: "bad_frame" },
  { kind: "frame over the size limit", frame: encodeFrame({ t: "req", id: "huge" }, "h".repeat(5000)), code: "too_large", id: "huge" },
];

describe("bad frames from a client", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;
  let credential: string;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_MAX_MESSAGE_BYTES: "4096" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
    credential = (await relay.mintDevice(node.credential, "alice")).credential;
  });
  afterAll(() => relay?.dispose());

  it.each(CLIENT_CASES)("answers a $kind with $code and stays up", async ({ frame, code, id }) => {
    // A fresh session per case: the relay closes a socket after 16 invalid frames.
    const alice = await client("alice", relay.url, credential);
    alice.send(frame);
    const error = await alice.next((f) => f.header.t === "err");
    expect(error.header).toMatchObject({ code });
    expect(error.header.id).toBe(id);
    expect(error.text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces leave the relay
    // Still serving: a normal round trip works right after.
    alice.request("after", "echo");
    const req = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, answer("ok")));
    expect((await alice.outcome("after")).header.t).toBe("res");
    await alice.closeAndWait();
  });

  it("ignores __proto__ keys instead of letting them change anything", async () => {
    const alice = await client("alice", relay.url, credential);
    alice.send('{"t":"req","id":"proto","__proto__":{"t":"cancel","id":"x"},"constructor":{"prototype":{"polluted":1}}}\n{"__proto__":{"a":1}}');
    const req = await agent.next((f) => f.header.t === "req");
    expect(req.header).not.toHaveProperty("polluted");
    expect(req.payload).toBe('{"__proto__":{"a":1}}'); // forwarded byte for byte, never parsed
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, answer("ok")));
    expect((await alice.outcome("proto")).header.t).toBe("res");
    await alice.closeAndWait();
  });

  it("refuses requests before hello with hello_required", async () => {
    const bob = await open("bob", relay.url, "/v1/client/connect", (await relay.mintDevice(node.credential, "bob")).credential);
    bob.request("early", "echo");
    expect((await bob.next()).header).toMatchObject({ t: "err", code: "hello_required" });
    await bob.closeAndWait();
  });

  it("closes a socket that keeps sending invalid frames", async () => {
    const cathy = await client("cathy", relay.url, (await relay.mintDevice(node.credential, "cathy")).credential);
    for (let i = 0; i < 20; i++) cathy.send("not json");
    expect((await cathy.closed).code).toBe(CloseCode.TOO_MANY_BAD_FRAMES);
  });

  it("leaks no pending entry after all of it", async () => {
    const metrics = await relay.metrics(node.nodeId);
    expect(metrics.pending).toBe(0);
    expect(metrics.rejections.bad_frame).toBeGreaterThanOrEqual(CLIENT_CASES.filter((c) => c.code === "bad_frame").length);
    expect(metrics.rejections.too_large).toBeGreaterThanOrEqual(1);
  });
});

describe("bad frames from an agent", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;
  let alice: Peer;

  beforeAll(async () => {
    relay = await startRelay();
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
    alice = await client("alice", relay.url, (await relay.mintDevice(node.credential, "alice")).credential);
  });
  afterAll(() => relay?.dispose());

  const cases: { kind: string; frame: string | Buffer }[] = [
    { kind: "relay id that is a string", frame: '{"t":"res","rid":"1"}\n{}' },
    { kind: "negative relay id", frame: '{"t":"res","rid":-5}\n{}' },
    { kind: "fractional relay id", frame: '{"t":"chunk","rid":1.5}\n{}' },
    { kind: "relay id beyond 2^53", frame: '{"t":"end","rid":1e400}\n{}' },
    { kind: "push without a target", frame: '{"t":"push"}\n{}' },
    { kind: "binary frame", frame: Buffer.alloc(16) },
    { kind: "header that is not JSON", frame: "}{" },
  ];

  it.each(cases)("answers a $kind with bad_frame and keeps routing", async ({ frame }) => {
    agent.send(frame);
    expect((await agent.next((f) => f.header.t === "err")).header).toMatchObject({ code: "bad_frame" });
    alice.request("ok", "echo");
    const req = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, answer(1)));
    expect((await alice.outcome("ok")).header.t).toBe("res");
  });

  it("drops answers for unknown relay ids and pushes to unknown sessions, counting them", async () => {
    agent.send(encodeFrame({ t: "res", rid: 999_999 }, answer("nobody asked")));
    agent.send(encodeFrame({ t: "push", to: "no-such-session" }, "{}"));
    agent.send(encodeFrame({ t: "push", to: "*" }, JSON.stringify({ event: "hi" })));
    expect((await alice.next((f) => f.header.t === "push")).payload).toBe('{"event":"hi"}');
    const metrics = await relay.metrics(node.nodeId);
    expect(metrics.drops.late_answer).toBe(1);
    expect(metrics.drops.no_session).toBe(1);
    expect(metrics.pending).toBe(0);
  });

  it("refuses a hello with a protocol version from the future", async () => {
    const other = await open("future-agent", relay.url, "/v1/node/connect", node.credential);
    other.send(encodeFrame({ t: "hello", v: PROTOCOL_VERSION + 7 }));
    expect((await other.next()).header).toMatchObject({ code: "upgrade_required" });
    expect((await other.closed).code).toBe(CloseCode.UPGRADE_REQUIRED);
  });
});
