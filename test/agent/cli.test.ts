/** The `ora-agent` command line, as a user runs it: real processes, a real relay, real files. */
import { spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PairedDevices } from "ora-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { client } from "../helpers/peer.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("ora-agent command line", () => {
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

  it("explains itself with --help and refuses unknown commands", async () => {
    const help = await runAgentCommand(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["start", "status", "devices"]) expect(help.stdout).toContain(command);
    expect((await runAgentCommand(["start", "--help"])).stdout).toContain("Registers this PC");
    const unknown = await runAgentCommand(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const badFlag = await runAgentCommand(["status", "--colour"]);
    expect(badFlag.code).toBe(2);
  });

  it("refuses a relay URL that is not a URL, and plain http to another machine", async () => {
    const notUrl = await runAgentCommand(["status", "--relay", "relay dot example"]);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain("is not a URL");
    const plain = await runAgentCommand(["start", "--relay", "http://relay.example.com", "--state-dir", newStateDir()]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain("use https://");
  });

  it("keeps the Node credential in an owner-only file in an owner-only directory", () => {
    expect(statSync(agent.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(agent.stateDir, "node.json")).mode & 0o777).toBe(0o600);
  });

  it("never prints the Node credential", () => {
    expect(agent.output()).not.toContain(agent.node().credential);
  });

  it("reports connected in status while running, and not running once stopped", async () => {
    const stateDir = newStateDir();
    const second = await startAgent(relay.url, stateDir);
    const running = await runAgentCommand(["status", "--state-dir", stateDir, "--json"]);
    expect(running.code).toBe(0);
    expect(JSON.parse(running.stdout)).toMatchObject({ registered: true, running: true, connected: true, nodeId: second.node().nodeId });
    await second.stop();
    const stopped = await runAgentCommand(["status", "--state-dir", stateDir]);
    expect(stopped.code).toBe(1);
    expect(stopped.stdout).toContain("not running");
  });

  it("lists devices and revokes one, closing its live session", async () => {
    const paired = await provisionDevice(relay, agent, "Pixel 9", "guest");
    const unpaired = await relay.mintDevice(agent.node().credential, "minted only", "guest");
    const device = { id: paired.device, credential: paired.credential };
    const pixel = await client("pixel", relay.url, device.credential);
    const list = await runAgentCommand(["devices", "--state-dir", agent.stateDir, "--relay", relay.url]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${device.id}\\s+Pixel 9\\s+guest\\s+active\\s+paired \\d{4}-`));
    expect(list.stdout).toMatch(new RegExp(`${unpaired.id}\\s+minted only\\s+guest\\s+unpaired`));
    const revoke = await runAgentCommand(["devices", "revoke", device.id, "--state-dir", agent.stateDir, "--relay", relay.url]);
    expect(revoke.stdout).toContain("closed 1 live connection");
    expect((await pixel.closed).code).toBe(4003);
    const again = await runAgentCommand(["devices", "revoke", device.id, "--state-dir", agent.stateDir, "--relay", relay.url]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("not_found");
  });

  it("forgets a revoked device on this PC even when the relay cannot be reached, and says the relay was not told", async () => {
    const dir = newStateDir();
    writeFileSync(
      join(dir, "node.json"),
      JSON.stringify({ relay: "http://127.0.0.1:9", nodeId: "n1", credential: `ora_node_${"A".repeat(75)}`, registeredAt: new Date().toISOString() }),
    );
    new PairedDevices(dir).add({ id: "lost-phone", name: "Lost phone", role: "owner", publicKey: "A".repeat(43), pairedAt: new Date().toISOString() });
    const revoked = await runAgentCommand(["revoke", "Lost phone", "--state-dir", dir]);
    expect(revoked.code).toBe(3);
    expect(revoked.stderr).toContain("cannot reach the relay");
    expect(revoked.stderr).toContain("This PC has forgotten lost-phone");
    expect(new PairedDevices(dir).get("lost-phone")).toBeUndefined();
  });

  it("refuses to start a second agent on the same state directory", async () => {
    const second = await runAgentCommand(["start", "--state-dir", agent.stateDir, "--relay", relay.url]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("another ora-agent is already running with this state directory");
  });

  it("refuses to run on a Node.js older than 22 with a clear message instead of crashing", async () => {
    const old = spawnSync(
      process.execPath,
      ["--import", 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.1.0"})', AGENT_BIN, "--help"],
      { encoding: "utf8" },
    );
    expect(old.status).toBe(2);
    expect(old.stderr).toContain("ora-agent needs Node.js 22 or newer; this is 20.1.0");
  });

  it("says plainly when the relay cannot be reached", async () => {
    const result = await runAgentCommand(["start", "--relay", "http://127.0.0.1:9", "--state-dir", newStateDir()]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("cannot reach the relay");
  });
});
