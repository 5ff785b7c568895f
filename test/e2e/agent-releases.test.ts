/**
 * The agent releases a relay's operator sets, end to end: the real relay in workerd, the real
 * `ora-agent start`. A newer release is told at once; an agent below the minimum stops for good with
 * the release to install, instead of reconnecting in a loop.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runAgentCommand, spawnAgent, startAgent } from "../helpers/agent.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("agent releases", () => {
  let relay: Relay | undefined;
  afterEach(async () => {
    await relay?.dispose();
    relay = undefined;
  });

  it("refuses an agent below the relay's minimum, which exits naming the version to install and does not retry", async () => {
    relay = await startRelay({ ORA_AGENT_MINIMUM: "99.0.0", ORA_AGENT_LATEST: "99.1.0" });
    const agent = spawnAgent(relay.url);
    expect(await agent.exit(15_000)).toBe(4);
    expect(agent.output()).toMatch(/the relay requires a newer agent: install ora-agent 99\.1\.0 \(this is \S+\); run ora-agent update/);
    expect(agent.output()).not.toContain("reconnecting");
    const { nodeId } = agent.node();
    expect((await relay.metrics(nodeId)).agentConnects).toBe(1);
    const status = await runAgentCommand(["status", "--state-dir", agent.stateDir]);
    expect(status.stdout).toContain("install ora-agent 99.1.0");
  });

  it("tells the agent of a newer release in its welcome, which says so in its terminal and in status", async () => {
    relay = await startRelay({ ORA_AGENT_LATEST: "99.1.0" });
    const agent = await startAgent(relay.url);
    expect(agent.output()).toMatch(/a newer agent is available: 99\.1\.0 \(you have \S+\); run ora-agent update/);
    const status = await runAgentCommand(["status", "--state-dir", agent.stateDir]);
    expect(status.stdout).toContain("a newer agent is available: 99.1.0");
    await agent.stop();
  });
});
