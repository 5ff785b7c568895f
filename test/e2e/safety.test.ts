/**
 * The safety core end to end: paired devices reach the real agent through the real relay, and every
 * tool call meets the one enforcement point. A guest on a shared PC, an owner approving from another
 * device, CRITICAL codes, and approvals that outlive an agent restart.
 */
import { OraClient, type Push } from "@ora/protocol";
import { mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlRequest } from "../../node-agent/src/control/client.js";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { approvalFor, watchTasks } from "../helpers/tasks.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const names = (tools: { name: string }[]) => tools.map((t) => t.name).sort();

describe("a guest on a shared PC", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let owner: OraClient;
  let guest: OraClient;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const stateDir = newStateDir();
  const env = {
    ORA_PROFILE: "shared",
    ORA_SHARED_GUEST_ALLOWED_TOOLS: "time.now,notes.add,notes.list,files.write",
    ORA_TOOL_ROOTS: root,
  };

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, env);
    owner = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner-phone", "owner") });
    guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "guest-tablet", "guest") });
  });
  afterAll(async () => {
    owner?.close();
    guest?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("sees only its allowlisted tools, runs a LOW one, and cannot even see the others", async () => {
    const { tools } = await guest.request("tools.list");
    // files.upload places what this device sent, under the same allowlisting as files.write.
    expect(names(tools)).toEqual(["files.upload", "files.write", "notes.add", "notes.list", "time.now"]);
    expect(await guest.request("tools.call", { name: "time.now" })).toMatchObject({ status: "done", result: { iso: expect.any(String) } });
    await expect(guest.request("tools.call", { name: "files.read", args: { root: 0, path: "x" } })).rejects.toMatchObject({ code: "not_found" });
    await expect(guest.request("tools.call", { name: "run.program", args: { argv: ["id"], root: 0 } })).rejects.toMatchObject({ code: "not_found" });
  });

  it("turns a HIGH call into a task the owner approves from another device; it runs once and binds to its arguments", async () => {
    const pushes: Push[] = [];
    owner.onPush((p) => pushes.push(p));
    const tasks = watchTasks(guest);
    await owner.request("ping"); // the owner's session is secured (the client does this on connect)
    const args = { root: 0, path: "from-guest.txt", content: "hello from the guest" };
    const answer = await guest.request("tools.call", { name: "files.write", args });
    if (answer.status !== "waiting") throw new Error("files.write should wait for an approval");
    expect(answer.task).toMatchObject({ state: "waiting_approval", tool: "files.write", risk: "HIGH", requester: { role: "guest" } });
    const approval = await approvalFor(owner, "files.write");
    expect(approval).toMatchObject({
      id: answer.task.approval,
      risk: "HIGH",
      args,
      requester: { role: "guest" },
      origin: expect.stringContaining("direct request"),
    });
    await until(() => pushes.some((p) => p.event === "approval" && p.data.type === "created"), 5000, "the approval pushed to the owner");

    // The guest cannot approve its own request.
    await expect(guest.request("approvals.decide", { id: approval.id, verdict: "approve" })).rejects.toMatchObject({ code: "forbidden" });
    expect(await owner.request("approvals.decide", { id: approval.id, verdict: "approve" })).toEqual({ id: approval.id, status: "approved" });
    expect(await tasks.ended(answer.task.id)).toMatchObject({ state: "done", result: { path: "from-guest.txt" } });
    expect(readFileSync(join(root, "from-guest.txt"), "utf8")).toBe("hello from the guest");

    // Used once: deciding it again is refused, and the same call again needs a new approval.
    await expect(owner.request("approvals.decide", { id: approval.id, verdict: "approve" })).rejects.toMatchObject({ code: "not_pending" });
    const again = await guest.request("tools.call", { name: "files.write", args: { ...args, path: "second.txt" } });
    if (again.status !== "waiting") throw new Error("the second call should wait too");
    const second = await approvalFor(owner, "files.write");
    expect(second.id).not.toBe(approval.id);
    expect(second.args).toMatchObject({ path: "second.txt" });
    await owner.request("approvals.decide", { id: second.id, verdict: "deny" });
    expect(await tasks.ended(again.task.id)).toMatchObject({ state: "denied", error: { code: "denied" } });
    tasks.stop();
  });

  it("refuses CRITICAL tools in shared even to the owner", async () => {
    await expect(owner.request("tools.call", { name: "run.program", args: { argv: ["echo", "hi"], root: 0 } })).rejects.toMatchObject({
      code: expect.stringMatching(/denied|not_found/),
    });
  });
});

describe("CRITICAL on a private PC", () => {
  let relay: Relay;
  let agent: AgentProcess;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const stateDir = newStateDir();
  const env = { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root };

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, env);
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("runs only with the one-time code at the PC (never shown on or taken from a device); three wrong codes lock", async () => {
    const ownerId = await provisionDevice(relay, agent, "owner-laptop", "owner");
    const owner = await OraClient.connect({ identity: ownerId });
    const tasks = watchTasks(owner);
    const run = await owner.request("tools.call", { name: "run.program", args: { argv: ["echo", "critical"], root: 0 } });
    const approval = await approvalFor(owner, "run.program");
    expect(approval).toMatchObject({ risk: "CRITICAL", needsCode: true, needsPasskey: true });
    expect(approval.code).toBeUndefined();
    const atPc = async (id: string) => (await controlRequest(stateDir, "approvals.list", {})).approvals.find((a) => a.id === id)!;
    const { code } = await atPc(approval.id);
    expect(code).toMatch(/^\d{6}$/);
    await expect(owner.request("approvals.decide", { id: approval.id, verdict: "approve" })).rejects.toMatchObject({ code: "passkey_required" });
    await expect(owner.request("approvals.decide", { id: approval.id, verdict: "approve", code })).rejects.toMatchObject({ code: "passkey_required" });
    await expect(controlRequest(stateDir, "approvals.decide", { id: approval.id, verdict: "approve" })).rejects.toMatchObject({ code: "code_required" });
    const wrong = code === "000000" ? "111111" : "000000";
    await expect(controlRequest(stateDir, "approvals.decide", { id: approval.id, verdict: "approve", code: wrong })).rejects.toMatchObject({
      code: "wrong_code",
    });
    expect(await controlRequest(stateDir, "approvals.decide", { id: approval.id, verdict: "approve", code })).toEqual({
      id: approval.id,
      status: "approved",
    });
    if (run.status !== "waiting") throw new Error("run.program should wait for an approval");
    expect(await tasks.ended(run.task.id)).toMatchObject({ state: "done", result: { exitCode: 0, stdout: "critical\n" } });

    const locked = await owner.request("tools.call", { name: "run.program", args: { argv: ["echo", "again"], root: 0 } });
    if (locked.status !== "waiting") throw new Error("run.program should wait for an approval");
    const next = await atPc((await approvalFor(owner, "run.program")).id);
    const bad = next.code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 2; i++)
      await expect(controlRequest(stateDir, "approvals.decide", { id: next.id, verdict: "approve", code: bad })).rejects.toMatchObject({ code: "wrong_code" });
    await expect(controlRequest(stateDir, "approvals.decide", { id: next.id, verdict: "approve", code: bad })).rejects.toMatchObject({
      code: expect.stringMatching(/wrong_code|locked_out/),
    });
    expect(await tasks.ended(locked.task.id)).toMatchObject({ state: "denied" });
    await expect(controlRequest(stateDir, "approvals.decide", { id: next.id, verdict: "approve", code: next.code! })).rejects.toMatchObject({
      code: expect.stringMatching(/locked_out|not_pending/),
    });
    owner.close();
  });

  it("keeps pending approvals across an agent restart, still enforced", async () => {
    const identity = await provisionDevice(relay, agent, "owner-phone", "owner");
    const guestIdentity = await provisionDevice(relay, agent, "guest", "guest");
    let owner = await OraClient.connect({ identity });
    const writer = await OraClient.connect({ identity: guestIdentity });
    const args = { root: 0, path: "after-restart.txt", content: "x" };
    await owner.request("tools.call", { name: "files.write", args });
    const before = await approvalFor(owner, "files.write");
    owner.close();
    writer.close();

    await agent.stop();
    agent = await startAgent(relay.url, stateDir, env);
    owner = await OraClient.connect({ identity });
    const after = await approvalFor(owner, "files.write");
    expect(after).toMatchObject({ id: before.id, args, risk: "HIGH" });
    // A guest still cannot decide it after the restart.
    const guest = await OraClient.connect({ identity: guestIdentity });
    await expect(guest.request("approvals.decide", { id: before.id, verdict: "approve" })).rejects.toMatchObject({ code: "forbidden" });
    guest.close();
    owner.close();
  });
});
