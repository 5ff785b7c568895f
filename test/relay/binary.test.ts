/**
 * Binary data frames through the mux core (docs/PROTOCOL.md, Frames): taken only from a peer that
 * said bin, forwarded as the same bytes to a peer that said bin and as their base64url text to one
 * that did not, and metered, limited and windowed by the bytes that travel.
 */
import { CloseCode, encodeBinaryFrame, encodeFrame, toBase64Url } from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG, device, Harness, helloAgent, helloClient, type FakeSocket } from "./harness.js";

const BIN = { bin: true };
const bytes = (n: number, fill = 7) => new Uint8Array(n).fill(fill);

function types(socket: FakeSocket): string[] {
  return socket.take().map((f) => (f.header.t === "err" ? `err:${f.header.code}` : f.header.t));
}

/** An agent and a client, each saying bin or not, and one request from the client pending at the agent. */
function setUp(agentBin: boolean, clientBin: boolean, payload: string | Uint8Array = clientBin ? bytes(40) : "sealed") {
  const h = new Harness();
  const agent = helloAgent(h, "agent", { credit: true, ...(agentBin ? BIN : {}) });
  const alice = helloClient(h, "alice", device("dev-alice"), { credit: true, ...(clientBin ? BIN : {}) });
  agent.take();
  h.send(alice.socket, typeof payload === "string" ? encodeFrame({ t: "req", id: "a1" }, payload) : encodeBinaryFrame({ t: "req", id: "a1" }, payload));
  const req = agent.take().find((f) => f.header.t === "req");
  if (!req) throw new Error(`not forwarded: ${alice.socket.take().map((f) => f.text)}`);
  return { h, agent, alice: alice.socket, req, rid: req.header.rid as number };
}

describe("binary data frames", () => {
  it("says bin in the welcome only to a peer that said it, and keeps it across an eviction", () => {
    const h = new Harness();
    const a = h.connectAgent();
    h.send(a, encodeFrame({ t: "hello", v: 1, bin: true }));
    const c = h.connectClient("alice");
    h.send(c, encodeFrame({ t: "hello", v: 1, bin: true }));
    const old = h.connectClient("bob");
    h.send(old, encodeFrame({ t: "hello", v: 1 }));
    expect(a.take()[0]!.header).toMatchObject({ t: "welcome", bin: true });
    expect(c.take()[0]!.header).toMatchObject({ t: "welcome", bin: true });
    expect(old.take()[0]!.header.bin).toBeUndefined();
    h.evict();
    h.send(c, encodeBinaryFrame({ t: "req", id: "a1" }, bytes(8)));
    expect(a.take().find((f) => f.header.t === "req")?.bytes).toEqual(bytes(8));
  });

  it("refuses a binary frame from a client or an agent that did not say bin with bad_frame and forwards nothing", () => {
    const h = new Harness();
    const agent = helloAgent(h);
    const alice = helloClient(h, "alice").socket;
    agent.take();
    h.send(alice, encodeBinaryFrame({ t: "req", id: "a1" }, bytes(8)));
    expect(alice.take().map((f) => f.header)).toEqual([{ t: "err", code: "bad_frame", message: expect.stringContaining("bin") }]);
    h.send(agent, encodeBinaryFrame({ t: "push", to: "*" }, bytes(8)));
    expect(types(agent)).toEqual(["err:bad_frame"]);
    expect(alice.take()).toEqual([]);
    expect(h.mux.snapshot()).toMatchObject({ requests: 0, pushes: 0, rejections: { bad_frame: 2 } });
  });

  it("carries a bin client's request and a bin agent's answer as the same bytes behind the relay's header", () => {
    const payload = bytes(40, 0x0a); // newlines are only bytes here
    const { h, agent, alice, req, rid } = setUp(true, true, payload);
    expect(req.bytes).toEqual(payload);
    expect(req.header).toMatchObject({ t: "req", rid, dev: "dev-alice" });
    const answer = bytes(100, 0xff);
    h.send(agent, encodeBinaryFrame({ t: "res", rid }, answer));
    const res = alice.take();
    expect(res.map((f) => [f.header, f.bytes])).toEqual([[{ t: "res", id: "a1" }, answer]]);
  });

  it("converts a bin agent's binary answers to text for a client that did not say bin: the payload is the bytes' base64url", () => {
    const { h, agent, alice, rid } = setUp(true, false);
    const chunk = bytes(30, 3);
    h.send(agent, encodeBinaryFrame({ t: "chunk", rid }, chunk));
    h.send(agent, encodeBinaryFrame({ t: "end", rid }, bytes(5)));
    const got = alice.take();
    expect(got.map((f) => f.text)).toEqual([
      encodeFrame({ t: "chunk", id: "a1" }, toBase64Url(chunk)),
      encodeFrame({ t: "end", id: "a1" }, toBase64Url(bytes(5))),
    ]);
    expect(got.every((f) => f.bytes === undefined)).toBe(true);
  });

  it("converts a bin client's binary request to text for an agent that did not say bin", () => {
    const payload = bytes(33, 9);
    const { req } = setUp(false, true, payload);
    expect(req.bytes).toBeUndefined();
    expect(req.payload).toBe(toBase64Url(payload));
  });

  it("forwards text as text to a bin peer: an older agent's answers and an older client's requests", () => {
    const { h, agent, alice, req, rid } = setUp(true, false, "old-request");
    expect([req.bytes, req.payload]).toEqual([undefined, "old-request"]);
    const bin = setUp(false, true);
    bin.h.send(bin.agent, encodeFrame({ t: "res", rid: bin.rid }, "old-answer"));
    expect(bin.alice.take().map((f) => [f.text, f.bytes])).toEqual([[encodeFrame({ t: "res", id: "a1" }, "old-answer"), undefined]]);
    h.send(agent, encodeFrame({ t: "res", rid }, "text"));
    expect(alice.take().map((f) => f.payload)).toEqual(["text"]);
  });

  it("pushes to every session in the form each reads, building each form once", () => {
    const h = new Harness();
    const agent = helloAgent(h, "agent", BIN);
    const alice = helloClient(h, "alice", device("dev-alice"), BIN).socket;
    const bob = helloClient(h, "bob").socket;
    h.send(agent, encodeBinaryFrame({ t: "push", to: "*" }, bytes(12, 1)));
    expect(alice.take().map((f) => [f.header, f.bytes])).toEqual([[{ t: "push" }, bytes(12, 1)]]);
    expect(bob.take().map((f) => f.text)).toEqual([encodeFrame({ t: "push" }, toBase64Url(bytes(12, 1)))]);
    expect(h.mux.snapshot().pushes).toBe(2);
  });

  it("meters and limits binary frames by their length: too_large past maxMessageBytes", () => {
    const { h, agent, alice, rid } = setUp(true, true);
    const before = h.mux.snapshot().bytesIn;
    const frame = encodeBinaryFrame({ t: "chunk", rid }, bytes(200));
    h.send(agent, frame);
    expect(h.mux.snapshot().bytesIn - before).toBe(frame.byteLength);
    alice.take();
    h.send(agent, encodeBinaryFrame({ t: "chunk", rid }, bytes(CONFIG.maxMessageBytes)));
    expect(types(alice)).toEqual(["err:too_large"]);
  });

  it("fails a binary stream with slow_consumer once the unacknowledged frame lengths would pass the window, and an ack by byteLength reopens it", () => {
    const { h, agent, alice, rid } = setUp(true, true);
    const chunk = () => encodeBinaryFrame({ t: "chunk", rid }, bytes(300));
    h.send(agent, chunk());
    const received = alice.inbox.reduce((n, f) => n + (f.bytes ? 2 + f.text.length + f.bytes.byteLength : f.text.length), 0);
    h.send(alice, encodeFrame({ t: "ack", bytes: received }));
    // The window (1024 bytes) takes three more frames of 2 + 23 + 300 bytes once the first is acknowledged.
    for (let i = 0; i < 4; i++) h.send(agent, chunk());
    expect(types(alice)).toEqual(["chunk", "chunk", "chunk", "chunk", "err:slow_consumer"]);
    expect(agent.take().map((f) => f.header)).toEqual([{ t: "cancel", rid, reason: "slow_consumer" }]);
  });

  it("gives a bin agent a client's credit in bytes: three quarters of what a text client counted, as is from a bin client", () => {
    const text = setUp(true, false);
    text.h.send(text.alice, encodeFrame({ t: "credit", id: "a1", bytes: 4001 }));
    expect(text.agent.take().map((f) => f.header)).toEqual([{ t: "credit", rid: text.rid, bytes: 3000 }]);
    const bin = setUp(true, true);
    bin.h.send(bin.alice, encodeFrame({ t: "credit", id: "a1", bytes: 4001 }));
    expect(bin.agent.take().map((f) => f.header)).toEqual([{ t: "credit", rid: bin.rid, bytes: 4001 }]);
  });

  it("answers every malformed binary frame from a bin peer with bad_frame, never crashes, and closes after 16 with 4011", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 20 }), (frames) => {
        const h = new Harness();
        const alice = helloClient(h, "alice", device("dev-alice"), BIN).socket;
        for (const frame of frames) h.send(alice, frame);
        const answers = alice.take();
        // Random bytes almost never make a valid data frame; when they do, it is a request (no agent).
        for (const a of answers) expect(a.header.t).toBe("err");
        const bad = answers.filter((a) => a.header.code === "bad_frame").length;
        if (bad >= 16) expect(alice.closed?.code).toBe(CloseCode.TOO_MANY_BAD_FRAMES);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses control frames sent as binary from a bin peer with bad_frame", () => {
    const h = new Harness();
    const alice = helloClient(h, "alice", device("dev-alice"), BIN).socket;
    h.send(alice, encodeBinaryFrame({ t: "ack", bytes: 1 }, new Uint8Array(0)));
    h.send(alice, new Uint8Array([0, 200, 1, 2]));
    expect(alice.take().map((f) => f.header.message)).toEqual([expect.stringMatching(/control frame/), expect.stringMatching(/past the end/)]);
  });
});
