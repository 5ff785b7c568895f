/**
 * Work that waits for the owner, end to end through the real relay and the real agent process: a
 * guest's HIGH call becomes a task at once, the owner approves it long after the relay's request
 * timeout (and after an agent restart), the task runs exactly once, and the guest's session hears
 * how it ended.
 */
import { OraClient, type ApprovalView } from "@ora/protocol";
import { existsSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

async function pendingApproval(owner: OraClient, id: string): Promise<ApprovalView> {
  let found: ApprovalView | undefined;
  await until(async () => (found = (await owner.request("approvals.list")).approvals.find((a) => a.id === id)) !== undefined, 5000, `approval ${id}`);
  return found!;
}

async function waitingWrite(guest: OraClient, path: string) {
  const answer = await guest.request("tools.call", { name: "files.write", args: { root: 0, path, content: `written: ${path}` } });
  if (answer.status !== "waiting") throw new Error(`files.write of ${path} ran without an approval`);
  return answer.task;
}

describe("tasks that wait for the owner", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let ownerId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const stateDir = newStateDir();
  const env = { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write", ORA_TOOL_ROOTS: root };

  beforeAll(async () => {
    // A short request timeout: approvals must not depend on a request staying open.
    relay = await startRelay({ ORA_RELAY_CLIENT_TIMEOUT_SEC: "1" });
    agent = await startAgent(relay.url, stateDir, env);
    ownerId = await provisionDevice(relay, agent, "owner-phone", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("runs a guest's call once when the owner approves after the relay's request timeout, and tells the guest", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const owner = await OraClient.connect({ identity: ownerId });
    const tasks = watchTasks(guest);
    const task = await waitingWrite(guest, "late.txt");
    // Proof that the relay's timeout has passed: a request that outlives it is cut off.
    await expect(owner.request("sleep", { ms: 5000 })).rejects.toMatchObject({ code: "timeout" });
    const approval = await pendingApproval(owner, task.approval);
    await owner.request("approvals.decide", { id: approval.id, verdict: "approve" });
    const ended = await tasks.ended(task.id);
    expect(ended).toMatchObject({ state: "done", result: { path: "late.txt", created: true } });
    expect(readFileSync(join(root, "late.txt"), "utf8")).toBe("written: late.txt");
    expect(tasks.seen.get(task.id)!.map((t) => t.state)).toEqual(["waiting_approval", "running", "done"]);
    expect(await guest.request("tasks.get", { id: task.id })).toMatchObject({ task: { state: "done" } });
    guest.close();
    owner.close();
  });

  it("keeps a waiting task across an agent restart; the approval given afterwards runs it and the guest is told", async () => {
    let guest = await OraClient.connect({ identity: guestId });
    const task = await waitingWrite(guest, "after-restart.txt");
    guest.close();
    await agent.stop();
    agent = await startAgent(relay.url, stateDir, env);
    guest = await OraClient.connect({ identity: guestId });
    const tasks = watchTasks(guest);
    await guest.request("ping"); // secured, so the agent can push to this session
    const owner = await OraClient.connect({ identity: ownerId });
    expect((await owner.request("tasks.list", { open: true })).tasks.map((t) => t.id)).toContain(task.id);
    await owner.request("approvals.decide", { id: (await pendingApproval(owner, task.approval)).id, verdict: "approve" });
    expect(await tasks.ended(task.id)).toMatchObject({ state: "done" });
    expect(existsSync(join(root, "after-restart.txt"))).toBe(true);
    guest.close();
    owner.close();
  });

  it("ends a denied task as denied, and a second identical call after it needs its own approval", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const owner = await OraClient.connect({ identity: ownerId });
    const tasks = watchTasks(guest);
    const first = await waitingWrite(guest, "twice.txt");
    await owner.request("approvals.decide", { id: first.approval, verdict: "deny" });
    expect(await tasks.ended(first.id)).toMatchObject({ state: "denied", error: { code: "denied" } });
    expect(existsSync(join(root, "twice.txt"))).toBe(false);

    const second = await waitingWrite(guest, "twice.txt");
    expect(second.approval).not.toBe(first.approval);
    await expect(owner.request("approvals.decide", { id: first.approval, verdict: "approve" })).rejects.toMatchObject({ code: "not_pending" });
    await owner.request("approvals.decide", { id: second.approval, verdict: "approve" });
    expect(await tasks.ended(second.id)).toMatchObject({ state: "done" });
    guest.close();
    owner.close();
  });

  it("lets the requester cancel its waiting task, and shows tasks on the PC's command line", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    const task = await waitingWrite(guest, "never.txt");
    const listed = await runAgentCommand(["tasks", "--state-dir", stateDir]);
    expect(listed.stdout).toMatch(new RegExp(`${task.id}\\s+waiting for approval\\s+files\\.write \\(HIGH\\)\\s+asked \\d+s ago — approval ${task.approval}`));
    expect(await guest.request("tasks.cancel", { id: task.id })).toMatchObject({ task: { state: "cancelled" } });
    await expect(guest.request("tasks.cancel", { id: task.id })).rejects.toMatchObject({ code: "not_pending" });
    const all = await runAgentCommand(["tasks", "--all", "--state-dir", stateDir]);
    expect(all.stdout).toMatch(new RegExp(`${task.id}\\s+cancelled`));
    expect(existsSync(join(root, "never.txt"))).toBe(false);
    guest.close();
  });
});

describe("a task nobody approves", () => {
  let relay: Relay;
  let agent: AgentProcess;

  beforeAll(async () => {
    relay = await startRelay();
    const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
    agent = await startAgent(relay.url, newStateDir(), { ORA_TOOL_ROOTS: root, ORA_APPROVAL_TTL_SEC: "1" });
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("expires with its approval, and its requester is told", async () => {
    const guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "sub-admin-laptop", "sub-admin") });
    const tasks = watchTasks(guest);
    const task = await waitingWrite(guest, "nobody.txt");
    expect(await tasks.ended(task.id)).toMatchObject({ state: "expired", error: { message: "nobody approved files.write in time" } });
    guest.close();
  });
});
