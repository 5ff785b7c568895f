/**
 * Standing rules end to end, through the real relay and the real agent process: the owner approves a
 * guest's write "always, within notes/", the guest's next write there runs at once, a write elsewhere
 * still asks; the PC's command line lists the rule and revokes it, and the same write asks again.
 */
import { OraClient } from "@ora/protocol";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

const write = (guest: OraClient, path: string) => guest.request("tools.call", { name: "files.write", args: { root: 0, path, content: `written: ${path}` } });

describe("standing rules through the relay", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let ownerId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  mkdirSync(join(root, "notes"));
  const stateDir = newStateDir();

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write", ORA_TOOL_ROOTS: root });
    ownerId = await provisionDevice(relay, agent, "owner-phone", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("runs the guest's second write in the folder at once after 'always', and asks again once revoked", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const owner = await OraClient.connect({ identity: ownerId });
    const tasks = watchTasks(guest);

    const first = await write(guest, "notes/one.txt");
    if (first.status !== "waiting") throw new Error("the first write ran without an approval");
    const until = Date.now() + 7 * 86_400_000;
    const decided = await owner.request("approvals.decide", { id: first.task.approval, verdict: "approve", always: { until, scope: { path: "notes/" } } });
    expect(decided).toMatchObject({ status: "approved", rule: { tool: "files.write", scope: { path: "notes" }, expiresAt: until, uses: 0 } });
    expect(await tasks.ended(first.task.id)).toMatchObject({ state: "done" });
    const ruleId = decided.rule!.id;

    expect(await write(guest, "notes/two.txt")).toMatchObject({ status: "done", result: { path: "notes/two.txt", created: true } });
    expect(readFileSync(join(root, "notes", "two.txt"), "utf8")).toBe("written: notes/two.txt");
    expect(await write(guest, "elsewhere.txt")).toMatchObject({ status: "waiting" });
    // A guest neither sees nor changes rules.
    await expect(guest.request("rules.list", {})).rejects.toMatchObject({ code: "forbidden" });

    const listed = await runAgentCommand(["rules", "--state-dir", stateDir]);
    expect(listed.stdout).toContain(`${ruleId}  files.write for`);
    expect(listed.stdout).toContain("used 1×");
    expect((await owner.request("rules.list", {})).rules.map((r) => r.id)).toEqual([ruleId]);

    const revoked = await runAgentCommand(["rules", "revoke", ruleId, "--state-dir", stateDir]);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain(`revoked: ${ruleId}`);
    expect(await write(guest, "notes/three.txt")).toMatchObject({ status: "waiting" });
    expect(existsSync(join(root, "notes", "three.txt"))).toBe(false);
    expect((await owner.request("rules.list", { all: true })).rules[0]).toMatchObject({ id: ruleId, uses: 1, revokedAt: expect.any(Number) });

    const audit = await runAgentCommand(["audit", "--state-dir", stateDir]);
    expect(audit.stdout).toMatch(/rule\.created/);
    expect(audit.stdout).toMatch(/rule\.used/);
    guest.close();
    owner.close();
  });

  it("refuses 'always' with a folder that does not cover the call; the PC's command line makes an exact-arguments rule", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const owner = await OraClient.connect({ identity: ownerId });
    const args = { root: 0, path: "outside-notes.txt", content: "same", mode: "overwrite" };
    const call = await guest.request("tools.call", { name: "files.write", args });
    if (call.status !== "waiting") throw new Error("the write ran without an approval");
    const id = call.task.approval;
    await expect(
      owner.request("approvals.decide", { id, verdict: "approve", always: { until: Date.now() + 86_400_000, scope: { path: "notes" } } }),
    ).rejects.toMatchObject({ code: "bad_params" });
    await expect(owner.request("approvals.decide", { id, verdict: "deny", always: { until: Date.now() + 86_400_000 } })).rejects.toMatchObject({
      code: "bad_params",
    });
    expect((await owner.request("approvals.list")).approvals.map((a) => a.id)).toContain(id);

    const approved = await runAgentCommand(["approve", id, "--always", "--until", "1d", "--state-dir", stateDir]);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain(`${id}: approved`);
    expect(approved.stdout).toMatch(/with exactly the approved arguments/);
    expect(await guest.request("tools.call", { name: "files.write", args })).toMatchObject({ status: "done" });
    expect(await guest.request("tools.call", { name: "files.write", args: { ...args, content: "other" } })).toMatchObject({ status: "waiting" });
    const tooLong = await runAgentCommand(["rules", "edit", approved.stdout.match(/rule (\w+)/)![1]!, "--until", "31d", "--state-dir", stateDir]);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain("bad_params: a rule lasts at most 30 days");
    guest.close();
    owner.close();
  });
});
