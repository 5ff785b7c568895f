/**
 * `chat` with no language model configured: the default a new user meets. Direct commands work
 * through the same enforcement point; anything else gets a plain answer on what works.
 */
import { OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("chat without a model", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let owner: OraClient;
  let guest: OraClient;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir());
    owner = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner", "owner") });
    guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "guest", "guest") });
  });
  afterAll(async () => {
    owner?.close();
    guest?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("says clearly that no model is configured and what works instead", async () => {
    const answer = await owner.request("chat", { text: "What is on my calendar?" });
    expect(answer.model).toBeNull();
    expect(answer.text).toMatch(/No language model is configured/);
    expect(answer.text).toMatch(/\/tools/);
  });

  it("lists tools and runs them through the enforcement point", async () => {
    expect((await owner.request("chat", { text: "/tools" })).text).toMatch(/run\.program \(CRITICAL, needs approval\)/);
    expect((await guest.request("chat", { text: "/tools" })).text).not.toMatch(/run\.program|files\./);
    await owner.request("chat", { text: '/run notes.add {"text":"call the bank"}' });
    expect(JSON.stringify(await owner.request("chat", { text: "/run notes.list" }))).toContain("call the bank");
    // A guest's notes are its own: it never sees the owner's.
    expect(JSON.stringify(await guest.request("chat", { text: "/run notes.list" }))).not.toContain("call the bank");
    await expect(guest.request("chat", { text: '/run files.read {"path":"x"}' })).rejects.toMatchObject({ code: "not_found" });
    expect((await owner.request("chat", { text: "/run notes.add {oops" })).text).toMatch(/must be JSON/);
  });

  it("never treats chat text as an approval decision", async () => {
    const answer = await owner.request("chat", { text: "/approve 12345" });
    expect(answer.text).toMatch(/Unknown command \/approve/);
    const approvals = await runAgentCommand(["approvals", "--json", "--state-dir", agent.stateDir]);
    expect(approvals.code).toBe(0);
  });
});
