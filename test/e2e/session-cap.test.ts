/**
 * The cap on one Node's open client sessions (ORA_RELAY_MAX_SESSIONS, worker/src/node/session-cap.ts)
 * over real sockets: a session over the cap is refused with `session_limit` and close 1013, the open ones
 * go on, a socket that has not said hello yet counts, and a freed place is taken again.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answer, client, open, scriptedAgent, until, type Peer } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("the session cap", () => {
  let relay: Relay;
  let node: { nodeId: string; credential: string };
  let agent: Peer;

  beforeAll(async () => {
    relay = await startRelay({ ORA_RELAY_MAX_SESSIONS: "3" });
    node = await relay.register();
    agent = await scriptedAgent("agent", relay.url, node.credential);
  });
  afterAll(() => relay?.dispose());

  it("refuses a session over the cap with session_limit and 1013, counting sockets before their hello, and never touches the open ones", async () => {
    const { credential } = await relay.mintDevice(node.credential, "phone");
    const alice = await client("alice", relay.url, credential);
    const bob = await client("bob", relay.url, credential);
    // Connected, no hello yet: it holds the object's memory all the same.
    const quiet = await open("quiet", relay.url, "/v1/client/connect", credential);

    const dave = await open("dave", relay.url, "/v1/client/connect", credential);
    expect((await dave.nextOf("err")).header).toMatchObject({ t: "err", code: "session_limit" });
    expect((await dave.closed).code).toBe(CloseCode.TRY_AGAIN_LATER);
    expect((await relay.metrics(node.nodeId)).sessionCap).toEqual({ max: 3, refused: 1 });

    // The open sessions still reach the agent and get their answers.
    alice.request("a1", "echo", 1);
    const req = await agent.next((f) => f.header.t === "req");
    agent.send(encodeFrame({ t: "res", rid: req.header.rid }, answer(1)));
    expect((await alice.nextOf("res")).header).toMatchObject({ id: "a1" });
    await bob.sync();

    // A freed place is taken again, once the relay has seen the close.
    bob.ws.close(1000);
    await until(async () => (await relay.metrics(node.nodeId)).sessions === 1, 5000, "bob's session to end at the relay");
    const erin = await client("erin", relay.url, credential);
    expect(erin.welcome.header).toMatchObject({ t: "welcome" });
    expect((await relay.metrics(node.nodeId)).sessionCap).toEqual({ max: 3, refused: 1 });
    await quiet.drain();
  });
});
