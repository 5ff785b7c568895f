/**
 * Binary data frames between peers of both generations through the real relay (docs/PROTOCOL.md,
 * Frames): the real agent speaks binary, and a client that never said bin still gets every answer as
 * text; a client that says bin gets the same sealed bytes binary; an agent that never said bin still
 * serves the real client, which speaks binary to the relay.
 */
import { acceptHandshakeV2, encodeBinaryFrame, encodeFrame, fromBase64Url, generateKeyPair, OraClient, staticKey } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type AgentProcess } from "../helpers/agent.js";
import { DeviceCrypto } from "../helpers/device.js";
import { client, scriptedAgent } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("binary frames between old and new peers", () => {
  let relay: Relay;
  let agent: AgentProcess;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url);
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  /** A raw client session of a fresh device, handshaken with the real agent by hand. */
  async function rawSession(name: string, hello: object) {
    const { id, credential } = await relay.mintDevice(agent.node().credential, name);
    const device = new DeviceCrypto(agent.stateDir, id);
    const peer = await client(name, relay.url, credential, "header", hello);
    peer.requestRaw("hs", await device.hello());
    const answer = await peer.outcome("hs");
    // The handshake's clear answer stays text, whoever asks.
    expect(answer.bytes).toBeUndefined();
    await device.finish(answer.payload);
    return { peer, device };
  }

  it("answers a client that did not say bin in text, the payload the base64url of the agent's sealed bytes", async () => {
    const { peer, device } = await rawSession("text-only", { credit: true });
    expect(peer.welcome.header.bin).toBeUndefined();
    peer.requestRaw("r1", device.seal("echo", { note: "hi" }).payload);
    const res = await peer.outcome("r1");
    expect(res.bytes).toBeUndefined();
    expect(device.open(res.payload)).toMatchObject({ k: "res", body: { ok: true, result: { note: "hi" } } });
    peer.requestRaw("r2", device.seal("echo.stream", { text: "x", count: 3 }).payload);
    const frames = [await peer.nextOf("chunk"), await peer.nextOf("chunk"), await peer.nextOf("chunk"), await peer.outcome("r2")];
    expect(frames.map((f) => [f.header.t, f.bytes])).toEqual([
      ["chunk", undefined],
      ["chunk", undefined],
      ["chunk", undefined],
      ["end", undefined],
    ]);
    expect(frames.map((f) => device.open(f.payload).k)).toEqual(["chunk", "chunk", "chunk", "end"]);
    await peer.closeAndWait();
  });

  it("carries a bin client's binary request to the agent and its sealed answer back binary", async () => {
    const { peer, device } = await rawSession("binary", { bin: true });
    expect(peer.welcome.header.bin).toBe(true);
    peer.send(encodeBinaryFrame({ t: "req", id: "r1" }, fromBase64Url(device.seal("echo", "both ways").payload)!));
    const res = await peer.outcome("r1");
    expect(res.bytes).toBeInstanceOf(Uint8Array);
    expect(device.open(res.payload)).toMatchObject({ k: "res", body: { ok: true, result: "both ways" } });
    await peer.closeAndWait();
  });

  it("lets an agent that never said bin serve the real client, which sends binary to the relay", async () => {
    const node = await relay.register();
    const agentKeys = generateKeyPair();
    const deviceKeys = generateKeyPair();
    const { id, credential } = await relay.mintDevice(node.credential, "alice");
    const old = await scriptedAgent("old-agent", relay.url, node.credential);
    expect(old.welcome.header.bin).toBeUndefined();
    const identity = { relay: relay.url, device: id, credential, key: staticKey(deviceKeys.secretKey), agentPublicKey: agentKeys.publicKey };
    const session = await OraClient.connect({ identity });
    expect(session.welcome.bin).toBe(true);
    // The client handshakes as soon as it sees the agent online; the old agent answers in text.
    const hello = await old.nextOf("req");
    const keys = { agentKey: staticKey(agentKeys.secretKey), devicePublicKey: deviceKeys.publicKey };
    const { answer, channel } = await acceptHandshakeV2(JSON.parse(hello.payload!), keys);
    old.send(encodeFrame({ t: "res", rid: hello.header.rid }, JSON.stringify(answer)));
    const asked = session.request("echo", "from a binary client");
    const req = await old.nextOf("req");
    expect(req.bytes).toBeUndefined();
    const opened = channel.open(req.payload!) as { seq: number; message: { body: { params: unknown } } };
    old.send(
      encodeFrame(
        { t: "res", rid: req.header.rid },
        channel.seal({ k: "res", re: opened.seq, body: { ok: true, result: opened.message.body.params } }).payload,
      ),
    );
    expect(await asked).toBe("from a binary client");
    session.close();
    await old.closeAndWait();
  });
});
