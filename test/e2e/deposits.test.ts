/**
 * A reminder reaches the phone while the PC sleeps: the agent leaves the sealed notification at the
 * relay, the agent stops, and the relay's alarm sends it at the due time. When the agent is back it
 * learns the relay did, and does not notify again. And when the agent is awake it takes the deposit
 * back and notifies itself: one notification, never two. Real relay, real agent, a push service on
 * 127.0.0.1 that decrypts with the subscription's keys.
 */
import { OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { FakePushService, pushRelayVars, vapidKeys } from "../helpers/push-service.js";
import { startRelay, type Relay } from "../helpers/relay.js";

/** Far enough ahead that the agent deposits it (it keeps the last 15 s to itself). */
const AHEAD = "in 20 seconds";

describe("reminder deposits at the relay", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let service: FakePushService;
  let phone: ProvisionedDevice;
  const stateDir = newStateDir();
  const env = { ORA_TIME_ZONE: "Asia/Tokyo" };

  beforeAll(async () => {
    const vapid = await vapidKeys();
    service = await FakePushService.start(vapid.publicKey);
    relay = await startRelay(pushRelayVars(vapid));
    agent = await startAgent(relay.url, stateDir, env);
    phone = await provisionDevice(relay, agent, "owner-phone", "owner");
    const client = await OraClient.connect({ identity: phone });
    expect(await client.request("notifications.subscribe", (await service.subscribe("owner-phone")).subscription)).toEqual({ enabled: true });
    client.close();
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
    await service?.close();
  });

  const deposits = async () => ((await relay.metrics(agent.node().nodeId)).deposits ?? {}) as Record<string, number>;

  it("notifies from the relay at the due time while the PC is off, and the PC does not notify again when it is back", async () => {
    let client = await OraClient.connect({ identity: phone });
    const { schedule } = await client.request("schedules.create", { when: AHEAD, text: "call the bank" });
    client.close();
    await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
    await agent.stop();

    const push = await service.next("owner-phone", 40_000);
    expect(push.notification).toEqual({ title: "Reminder", body: "call the bank", url: "/#reminders", tag: `${schedule.id}@${schedule.nextAt}` });
    expect(push.receivedAt).toBeGreaterThanOrEqual(schedule.nextAt!);
    expect(push.receivedAt - schedule.nextAt!).toBeLessThan(5_000);
    expect(push.body.includes(Buffer.from("bank"))).toBe(false);
    expect(await deposits()).toMatchObject({ held: 0, sent: 1 });

    // The PC wakes: the reminder is overdue, but the relay already delivered it.
    agent = await startAgent(relay.url, stateDir, env);
    client = await OraClient.connect({ identity: phone });
    try {
      await expect
        .poll(async () => (await client.request("schedules.list")).runs.find((r) => r.schedule === schedule.id), { timeout: 10_000 })
        .toMatchObject({
          state: "delivered",
          notifiedBy: "relay",
          detail: expect.stringMatching(/^notified by the relay at \w{3} \d+ \w{3} \d\d:\d\d Asia\/Tokyo/),
        });
      // The agent notifies before it records a run, so a second notification would be here by now.
      await expect(service.next("owner-phone", 0)).rejects.toThrow(/no push/);
      const { conversations } = await client.request("conversations.list");
      const inbox = conversations.find((c) => c.title === "Reminders")!;
      const { messages } = await client.request("conversations.history", { conversation: inbox.id });
      expect(messages.at(-1)!.content).toMatch(/^⏰ call the bank\n\(this PC was asleep or off at .* the relay notified your devices at /);
    } finally {
      client.close();
    }
  });

  it("takes the deposit back when the PC is awake, and notifies once, from the PC", async () => {
    const before = await deposits();
    const client = await OraClient.connect({ identity: phone });
    try {
      const { schedule } = await client.request("schedules.create", { when: AHEAD, text: "stretch" });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
      const push = await service.next("owner-phone", 40_000);
      expect(push.notification).toMatchObject({ body: "stretch", tag: `${schedule.id}@${schedule.nextAt}` });
      await expect
        .poll(async () => (await client.request("schedules.list")).runs.find((r) => r.schedule === schedule.id), { timeout: 10_000 })
        .toMatchObject({ state: "delivered", notifiedBy: "agent" });
      // Withdrawn before its time: the relay holds nothing that could reach the phone a second time.
      expect(await deposits()).toMatchObject({ held: 0, sent: before.sent, withdrawn: (before.withdrawn ?? 0) + 1 });
    } finally {
      client.close();
    }
  });

  it("seals a reminder's deposit again for a device that turns notifications on later", async () => {
    const client = await OraClient.connect({ identity: phone });
    const laptopId = await provisionDevice(relay, agent, "owner-laptop", "owner");
    const laptop = await OraClient.connect({ identity: laptopId });
    try {
      const { schedule } = await client.request("schedules.create", { when: "in 1 hour", text: "for both" });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
      const before = await deposits();
      await laptop.request("notifications.subscribe", (await service.subscribe("owner-laptop")).subscription);
      // The deposit for the phone alone is withdrawn and one for both devices takes its place.
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1, withdrawn: (before.withdrawn ?? 0) + 1 });
      await client.request("schedules.cancel", { id: schedule.id });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 0 });
    } finally {
      laptop.close();
      client.close();
    }
  });

  it("withdraws the deposit of a reminder that is cancelled", async () => {
    const before = await deposits();
    const client = await OraClient.connect({ identity: phone });
    try {
      const { schedule } = await client.request("schedules.create", { when: "in 1 hour", text: "cancelled one" });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
      await client.request("schedules.cancel", { id: schedule.id });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 0, withdrawn: (before.withdrawn ?? 0) + 1 });
    } finally {
      client.close();
    }
  });

  it("withdraws every deposit while the PC is locked down, and leaves it again once unlocked", async () => {
    const client = await OraClient.connect({ identity: phone });
    try {
      const { schedule } = await client.request("schedules.create", { when: "in 1 hour", text: "held back" });
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
      await client.request("lockdown.enter");
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 0 });
      expect((await runAgentCommand(["unlock", "--state-dir", stateDir])).code).toBe(0);
      await expect.poll(deposits, { timeout: 10_000 }).toMatchObject({ held: 1 });
      await client.request("schedules.cancel", { id: schedule.id });
    } finally {
      client.close();
    }
  });
});
