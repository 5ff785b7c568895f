/**
 * Lockdown end to end, through the real relay (workerd) and the real agent process: an owner device
 * taps lockdown with other devices connected, a HIGH call waiting for its approval and a reminder
 * about to fall due; the PC's own command line ends it. The state outlives an agent restart.
 */
import { CloseCode, encodeFrame, OraClient, PROTOCOL_VERSION } from "@ora/protocol";
import { existsSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { pairHost, until } from "../helpers/peer.js";
import { nextPush } from "../helpers/pushes.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

const closeOf = (client: OraClient) => new Promise<number>((resolve) => client.onClose(resolve));
const write = (path: string) => ({ name: "files.write", args: { root: 0, path, content: path } });

describe("lockdown", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let phoneId: ProvisionedDevice;
  let laptopId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  let phone: OraClient;
  let reminder: { id: string; nextAt: number };
  let cancelledTask: { id: string; approval: string };
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  const stateDir = newStateDir();
  const env = { ORA_TOOL_ROOTS: root };

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir, env);
    phoneId = await provisionDevice(relay, agent, "owner-phone", "owner");
    laptopId = await provisionDevice(relay, agent, "owner-laptop", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
  });
  afterAll(async () => {
    phone?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("keeps the tapping device's session, closes the others, cancels what waits, refuses HIGH, pairing and the others' return, and holds reminders", async () => {
    phone = await OraClient.connect({ identity: phoneId });
    const laptop = await OraClient.connect({ identity: laptopId });
    const guest = await OraClient.connect({ identity: guestId });
    await Promise.all([phone.request("ping"), laptop.request("ping"), guest.request("ping")]);
    const tasks = watchTasks(phone);
    const waiting = await laptop.request("tools.call", write("waiting.txt"));
    if (waiting.status !== "waiting") throw new Error("files.write ran without an approval");
    cancelledTask = waiting.task;
    expect((await phone.request("approvals.list")).approvals.map((a) => a.id)).toContain(waiting.task.approval);
    const { schedule } = await phone.request("schedules.create", { when: "in 3 seconds", text: "stand up" });
    reminder = { id: schedule.id, nextAt: schedule.nextAt! };
    const laptopClosed = closeOf(laptop);
    const guestClosed = closeOf(guest);
    const pushed = nextPush(phone, "lockdown");

    const entered = await phone.request("lockdown.enter");

    expect(entered).toMatchObject({ already: false, cancelledTasks: 1, closedSessions: 2, lockdown: { locked: true } });
    expect(entered.lockdown.by).toBe("owner-phone");
    expect(await laptopClosed).toBe(CloseCode.LOCKED_DOWN);
    expect(await guestClosed).toBe(CloseCode.LOCKED_DOWN);
    expect((await pushed).lockdown.locked).toBe(true);
    expect(await tasks.ended(waiting.task.id)).toMatchObject({ state: "cancelled", error: { code: "cancelled", message: "cancelled by the lockdown" } });
    expect((await phone.request("approvals.list")).approvals).toEqual([]);
    await expect(OraClient.connect({ identity: laptopId })).rejects.toMatchObject({ code: "locked_down" });
    await expect(OraClient.connect({ identity: guestId })).rejects.toMatchObject({ code: "locked_down" });
    await expect(phone.request("tools.call", write("refused.txt"))).rejects.toMatchObject({ code: "locked_down" });
    expect(await phone.request("tools.call", { name: "files.list", args: { root: 0 } })).toMatchObject({ status: "done" });
    expect(await phone.request("lockdown.status")).toMatchObject({ lockdown: { locked: true, since: entered.lockdown.since } });

    const pair = await runAgentCommand(["pair", "--yes", "--no-qr", "--state-dir", stateDir, "--relay", relay.url]);
    expect(pair.code).toBe(1);
    expect(pair.stderr).toMatch(/this PC is in lockdown: no device can be paired/);
    // The relay refuses a pairing offer on its own too, whoever makes it with the Node's credential.
    const host = await pairHost("host", relay.url, agent.node().credential);
    host.send(encodeFrame({ t: "offer", v: PROTOCOL_VERSION, ttl: 60 }));
    expect((await host.nextOf("err")).header).toMatchObject({ code: "locked_down" });

    // Past the reminder's due time, a new schedule makes the scheduler look again at once: nothing ran.
    await until(() => Date.now() > reminder.nextAt + 100, 10_000, "the reminder's due time");
    await phone.request("schedules.create", { when: "in 1 hour", text: "a later one" });
    const { runs } = await phone.request("schedules.list");
    expect(runs.filter((run) => run.schedule === reminder.id)).toEqual([]);

    const metrics = await relay.metrics(agent.node().nodeId);
    expect(metrics.lockdown).toMatchObject({ active: 1, entered: 1, closedSessions: 2 });
    expect(metrics.lockdown.refusedSessions).toBeGreaterThanOrEqual(2);
    expect(metrics.lockdown.refusedPairings).toBeGreaterThanOrEqual(1);
  });

  it("refuses lockdown.exit from a device without a passkey's proof", async () => {
    await expect(phone.request("lockdown.exit")).rejects.toMatchObject({ code: "forbidden", message: expect.stringContaining("passkey") });
    await expect(phone.request("lockdown.exit", { proof: { signature: "anything" } })).rejects.toMatchObject({ code: "forbidden" });
    expect((await phone.request("lockdown.status")).lockdown.locked).toBe(true);
  });

  it("stays locked across an agent restart and puts the relay back in lockdown", async () => {
    phone.close();
    await agent.stop();
    // The relay forgets (as if it had been reset): the agent that starts locked tells it again.
    const cleared = await fetch(new URL("/v1/node/lockdown", relay.url), {
      method: "DELETE",
      headers: { Authorization: `Bearer ${agent.node().credential}` },
    });
    expect(await cleared.json()).toMatchObject({ locked: false });
    agent = await startAgent(relay.url, stateDir, env);
    await until(async () => (await relay.metrics(agent.node().nodeId)).lockdown.active === 1, 10_000, "the relay back in lockdown");
    await expect(OraClient.connect({ identity: laptopId })).rejects.toMatchObject({ code: "locked_down" });
    phone = await OraClient.connect({ identity: phoneId });
    await expect(phone.request("tools.call", write("refused.txt"))).rejects.toMatchObject({ code: "locked_down" });

    const status = await runAgentCommand(["status", "--state-dir", stateDir]);
    expect(status.stdout).toMatch(/lockdown {4}ON since \S+ \(by owner-phone\)/);
    const again = await runAgentCommand(["lockdown", "--state-dir", stateDir]);
    expect(again.stdout).toContain("already in lockdown");
  });

  it("ends with ora-agent unlock: devices come back, HIGH asks for an approval again, the reminder goes on late, the cancelled task stays cancelled", async () => {
    const lifted = nextPush(phone, "lockdown", (data) => !data.lockdown.locked);
    const reminded = nextPush(phone, "schedule", (data) => data.run?.schedule === reminder.id && data.run.state !== "started");
    const unlock = await runAgentCommand(["unlock", "--state-dir", stateDir]);
    expect(unlock.code).toBe(0);
    expect((await lifted).lockdown).toEqual({ locked: false, since: null, by: null });

    const laptop = await OraClient.connect({ identity: laptopId });
    const answer = await laptop.request("tools.call", write("after.txt"));
    expect(answer.status).toBe("waiting");
    expect(existsSync(join(root, "after.txt"))).toBe(false);
    expect((await phone.request("tasks.get", { id: cancelledTask.id })).task.state).toBe("cancelled");
    await expect(phone.request("approvals.decide", { id: cancelledTask.approval, verdict: "approve" })).rejects.toMatchObject({ code: "not_pending" });
    expect((await reminded).run!.lateMs).toBeGreaterThan(0);
    expect((await runAgentCommand(["status", "--state-dir", stateDir])).stdout).toMatch(/lockdown {4}off/);
    laptop.close();
  });
});
