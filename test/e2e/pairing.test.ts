/**
 * Pairing end to end: the real `ora-agent pair` on the PC, the relay in workerd, and a new device
 * using the client library (or the terminal client), then talking to the PC end to end encrypted.
 */
import { generateKeyPair, OraClient, pairDevice, PairingCodeError, staticKey } from "@ora/protocol";
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { AGENT_VERSION } from "../../node-agent/src/version.js";
import { open, until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

interface PairProcess {
  proc: ChildProcess;
  code: string;
  url: string;
  output(): string;
  exit: Promise<number | null>;
}

/** Runs `ora-agent pair` and waits until it shows its code. */
async function startPair(relay: string, stateDir: string, args: string[] = ["--yes"]): Promise<PairProcess> {
  const proc = spawn(process.execPath, [AGENT_BIN, "pair", "--relay", relay, "--state-dir", stateDir, "--no-qr", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  await until(() => /Link: +\S+/.test(output) || proc.exitCode !== null, 10_000, "a pairing code");
  const code = /Pairing code: (\S+)/.exec(output)?.[1];
  const url = /Link: +(\S+)/.exec(output)?.[1];
  if (!code || !url) throw new Error(`pair printed no code:\n${output}`);
  return { proc, code, url, output: () => output, exit };
}

const newKey = () => staticKey(generateKeyPair().secretKey);

describe("pairing a device with the PC", () => {
  let relay: Relay;
  let agent: AgentProcess;
  const stateDir = newStateDir();

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir);
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("pairs by typed code as owner, shows the same digits on both ends, and the device talks to the PC encrypted", async () => {
    const pair = await startPair(relay.url, stateDir);
    let digits = "";
    const paired = await pairDevice({ code: pair.code, relay: relay.url, name: "Pixel 9", key: newKey(), onVerification: (d) => (digits = d) });
    expect(await pair.exit).toBe(0);
    expect(pair.output()).toContain(`Verification digits: ${digits}`);
    expect(pair.output()).toMatch(/Paired "Pixel 9" as owner/);
    expect(paired.grant).toMatchObject({ role: "owner", name: "Pixel 9", node: agent.node().nodeId });
    const client = await OraClient.connect({ identity: paired.identity });
    expect(await client.request("whoami")).toEqual({
      device: paired.grant.device,
      name: "Pixel 9",
      role: "owner",
      pc: { name: expect.any(String), version: AGENT_VERSION },
    });
    client.close();
  });

  it("pairs by link with the role the PC chose, whatever the device calls itself", async () => {
    const pair = await startPair(relay.url, stateDir, ["--yes", "--role", "guest", "--name", "Guest tablet"]);
    expect(pair.url).toMatch(new RegExp(`^${relay.url}/pair#\\d+-[a-z]+-[a-z]+-[a-z]+$`));
    const paired = await pairDevice({ code: pair.url, name: "I am the owner", key: newKey() });
    expect(await pair.exit).toBe(0);
    const client = await OraClient.connect({ identity: paired.identity });
    expect(await client.request("whoami")).toMatchObject({ role: "guest", name: "Guest tablet" });
    client.close();
  });

  it("burns the offer on a wrong code: the guess fails once and the right code no longer works", async () => {
    const pair = await startPair(relay.url, stateDir);
    const [nameplate, ...words] = pair.code.split("-");
    const wrong = [nameplate, ...words.slice(0, 2), words[2] === "abandon" ? "ability" : "abandon"].join("-");
    await expect(pairDevice({ code: wrong, relay: relay.url, name: "mallory", key: newKey() })).rejects.toMatchObject({ code: "pairing_failed" });
    expect(await pair.exit).not.toBe(0);
    expect(pair.output()).toMatch(/code is now burnt/);
    await expect(pairDevice({ code: pair.code, relay: relay.url, name: "late", key: newKey() })).rejects.toMatchObject({
      code: expect.stringMatching(/not_found|expired/),
    });
  });

  it("answers a second claimant with crowded while the first holds the offer", async () => {
    const pair = await startPair(relay.url, stateDir);
    const nameplate = pair.code.split("-")[0]!;
    const first = await open("first", relay.url, `/v1/pair/${nameplate}`);
    first.send(JSON.stringify({ t: "claim", v: 1 }));
    await first.next((f) => f.header.t === "peer");
    await expect(pairDevice({ code: pair.code, relay: relay.url, name: "second", key: newKey() })).rejects.toMatchObject({ code: "crowded" });
    await first.closeAndWait();
    expect(await pair.exit).not.toBe(0);
  });

  it("refuses a code without its secret part before anything reaches the relay", async () => {
    await expect(pairDevice({ code: "7", relay: relay.url, name: "x", key: newKey() })).rejects.toBeInstanceOf(PairingCodeError);
    await expect(pairDevice({ code: `${relay.url}/pair#7`, name: "x", key: newKey() })).rejects.toBeInstanceOf(PairingCodeError);
  });

  it("declines when nobody at the PC confirms, which is the default without --yes", async () => {
    const pair = await startPair(relay.url, stateDir, []);
    await expect(pairDevice({ code: pair.code, relay: relay.url, name: "unattended", key: newKey() })).rejects.toMatchObject({
      code: "pairing_failed",
      message: expect.stringMatching(/declined/),
    });
    expect(await pair.exit).toBe(1);
    const devices = await runAgentCommand(["devices", "--json", "--state-dir", stateDir]);
    expect(JSON.parse(devices.stdout).map((d: { name: string }) => d.name)).not.toContain("unattended");
  });

  it("pairs the terminal client of another computer and asks the PC through it; revoking it closes its session at once", async () => {
    const remoteDir = newStateDir();
    const pair = await startPair(relay.url, stateDir);
    const remote = await runAgentCommand(["remote", "pair", pair.code, "--relay", relay.url, "--state-dir", remoteDir, "--name", "laptop"]);
    expect(remote.stdout).toMatch(/Paired as "laptop" \(owner\)/);
    expect(await pair.exit).toBe(0);
    const who = await runAgentCommand(["remote", "call", "whoami", "--state-dir", remoteDir, "--json"]);
    expect(JSON.parse(who.stdout)).toMatchObject({ name: "laptop", role: "owner" });

    const list = JSON.parse((await runAgentCommand(["devices", "--json", "--state-dir", stateDir])).stdout) as {
      id: string;
      name: string;
      state: string;
      pairedAt: string;
    }[];
    const laptop = list.find((d) => d.name === "laptop")!;
    expect(laptop).toMatchObject({ state: "active", pairedAt: expect.any(String) });

    const identity = (await import("ora-agent")).PairedDevices; // the PC's record holds the key the session is checked against
    expect(new identity(stateDir).get(laptop.id)?.role).toBe("owner");
    const { readDevice, identityOf } = await import("../../node-agent/dist/remote/device-file.js");
    const client = await OraClient.connect({ identity: identityOf(readDevice(remoteDir)!) });
    await client.request("ping");
    const closed = new Promise<number>((resolve) => client.onClose(resolve));
    const started = Date.now();
    const revoked = await runAgentCommand(["revoke", "laptop", "--state-dir", stateDir]);
    expect(revoked.stdout).toMatch(/closed 1 live connection/);
    await closed;
    expect(Date.now() - started).toBeLessThan(3000); // the CLI's own start-up included; the relay closes at once
    const again = await runAgentCommand(["remote", "status", "--state-dir", remoteDir]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no longer accepts this device/);
  });
});
