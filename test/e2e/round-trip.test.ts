import { OraClient } from "@ora/protocol";
import { PairedDevices } from "ora-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { client, until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("a client reaches the real agent through the real relay", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let alice: ProvisionedDevice;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url);
    alice = await provisionDevice(relay, agent, "alice-phone", "owner");
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("answers ping and echo requests from the client library", async () => {
    const session = await OraClient.connect({ identity: alice });
    expect(session.welcome.role).toBe("owner");
    expect(session.online).toBe(true);
    expect(await session.request("ping")).toMatchObject({ pong: true });
    expect(await session.request("echo", { text: "hello", n: [1, 2] })).toEqual({ text: "hello", n: [1, 2] });
    session.close();
  });

  it("streams chunks in order and ends with the final answer", async () => {
    const session = await OraClient.connect({ identity: alice });
    const chunks: unknown[] = [];
    const result = await session.request("echo.stream", { text: "tick", count: 5 }, { onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual([0, 1, 2, 3, 4].map((i) => ({ i, text: "tick" })));
    expect(result).toEqual({ count: 5 });
    session.close();
  });

  it("reports an unknown method as a typed error from the agent", async () => {
    const session = await OraClient.connect({ identity: alice });
    await expect(session.call("no.such.method")).rejects.toMatchObject({ code: "unknown_method" });
    await expect(session.call("sleep", { ms: "soon" })).rejects.toMatchObject({ code: "bad_params" });
    session.close();
  });

  it("tells a device the PC no longer knows that it must pair again, even while the relay still lets it in", async () => {
    const forgotten = await provisionDevice(relay, agent, "forgotten-phone");
    new PairedDevices(agent.stateDir).remove(forgotten.device);
    const session = await OraClient.connect({ identity: forgotten });
    await expect(session.request("ping")).rejects.toMatchObject({ code: "handshake_failed", message: expect.stringMatching(/not paired with this PC/) });
    session.close();
  });

  it("carries the credential in the subprotocol header for browsers and never echoes it", async () => {
    const bob = await client("bob", relay.url, alice.credential, "subprotocol");
    expect(bob.ws.protocol).toBe("ora.v1");
    expect(bob.welcome.header).toMatchObject({ t: "welcome", role: "owner", online: true });
    await bob.closeAndWait();
  });
});

describe("credential rotation from the client library", () => {
  it("rotates when the owner asks, hands the new credential to the app, and the old one stops working", async () => {
    const relay = await startRelay();
    const agent = await startAgent(relay.url);
    try {
      const device = await provisionDevice(relay, agent, "rotating-phone");
      const first = await OraClient.connect({ identity: device });
      const closed = new Promise<number>((resolve) => first.onClose(resolve));
      const asked = await runAgentCommand(["devices", "rotate", device.device, "--state-dir", agent.stateDir]);
      expect(asked.code).toBe(0);
      expect(await closed).toBe(1001); // reconnect, then rotate

      let rotated: string | undefined;
      const second = await OraClient.connect({ identity: device, onCredentialRotated: (c) => void (rotated = c) });
      expect(second.welcome.rotate).toBe(true);
      await until(() => rotated !== undefined, 5000, "the rotated credential");
      expect(rotated).toMatch(/^ora_dev_/);
      expect(rotated).not.toBe(device.credential);
      second.close();

      const renewed = await OraClient.connect({ identity: { ...device, credential: rotated! } });
      expect(renewed.welcome.rotate ?? false).toBe(false);
      expect(await renewed.request("whoami")).toMatchObject({ device: device.device });
      renewed.close();
      // The new credential has been used, so the old one is gone.
      await expect(OraClient.connect({ identity: device })).rejects.toMatchObject({ code: "unauthorized" });
    } finally {
      await agent.stop();
      await relay.dispose();
    }
  });
});
