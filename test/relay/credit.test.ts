/**
 * Stream credit through the relay (docs/PROTOCOL.md, flow control): a client's credit reaches the
 * agent under the relay's id, only an agent that honours it hears it, and the agent learns which
 * sessions grant it — across an eviction too.
 */
import { encodeFrame } from "@ora/protocol";
import { describe, expect, it } from "vitest";
import { device, Harness, type FakeSocket } from "./harness.js";

function hello(h: Harness, socket: FakeSocket, credit: boolean): Record<string, any> {
  h.send(socket, encodeFrame({ t: "hello", v: 1, ...(credit ? { credit: true } : {}) }));
  const welcome = socket.take().find((f) => f.header.t === "welcome");
  if (!welcome) throw new Error(`${socket.name} got no welcome`);
  return welcome.header;
}

function setUp(agentCredit: boolean, clientCredit: boolean) {
  const h = new Harness();
  const agent = h.connectAgent();
  hello(h, agent, agentCredit);
  const client = h.connectClient("alice", device("dev-alice"));
  const welcome = hello(h, client, clientCredit);
  h.send(client, encodeFrame({ t: "req", id: "r1" }, "{}"));
  const frames = agent.take();
  const rid = frames.find((f) => f.header.t === "req")!.header.rid as number;
  return { h, agent, client, rid, session: frames.find((f) => f.header.t === "session")!.header, welcome };
}

describe("stream credit", () => {
  it("forwards a client's credit to an agent that honours it, under the relay's id", () => {
    const { h, agent, client, rid, welcome } = setUp(true, true);
    expect(welcome.limits.streamWindowBytes).toBe(h.config.streamWindowBytes);
    h.send(client, encodeFrame({ t: "credit", id: "r1", bytes: 4096 }));
    expect(agent.take().map((f) => f.header)).toEqual([{ t: "credit", rid, bytes: 4096 }]);
  });

  it("tells the agent which sessions grant credit, in session frames and in its welcome after a reconnect", () => {
    const { h, session } = setUp(true, true);
    expect(session).toMatchObject({ t: "session", open: true, credit: true });
    const next = h.connectAgent("agent-2");
    expect(hello(h, next, true).sessions).toEqual([expect.objectContaining({ dev: "dev-alice", credit: true })]);
    const plain = setUp(true, false);
    expect(plain.session.credit).toBeUndefined();
  });

  it("does not forward credit to an agent that did not say it honours it", () => {
    const { h, agent, client } = setUp(false, true);
    h.send(client, encodeFrame({ t: "credit", id: "r1", bytes: 4096 }));
    expect(agent.take()).toEqual([]);
  });

  it("drops credit for a request that is not pending in that session, without an error", () => {
    const { h, agent, client } = setUp(true, true);
    const other = h.connectClient("bob", device("dev-bob"));
    hello(h, other, true);
    agent.take();
    h.send(other, encodeFrame({ t: "credit", id: "r1", bytes: 4096 }));
    h.send(client, encodeFrame({ t: "credit", id: "r9", bytes: 4096 }));
    expect(agent.take()).toEqual([]);
    expect(other.take()).toEqual([]);
    expect(client.take()).toEqual([]);
  });

  it("keeps both ends' credit flags across an eviction", () => {
    const { h, agent, client, rid } = setUp(true, true);
    h.evict();
    h.send(client, encodeFrame({ t: "credit", id: "r1", bytes: 8192 }));
    expect(agent.take().map((f) => f.header)).toEqual([{ t: "credit", rid, bytes: 8192 }]);
  });
});
