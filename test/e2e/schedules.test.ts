/**
 * Reminders and scheduled jobs end to end: the real relay (with Web Push on), the real agent process
 * with a fake model speaking the OpenAI wire format, and a push service on 127.0.0.1 that decrypts
 * what arrives with the subscription's keys. The model sets a reminder; /remind works without it; a
 * scheduled job that needs an approval becomes a waiting task.
 */
import { OraClient } from "@ora/protocol";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startFakeOpenAI, text, toolCall, type FakeLLM } from "../helpers/fake-llm.js";
import { nextPush } from "../helpers/pushes.js";
import { FakePushService, pushRelayVars, vapidKeys } from "../helpers/push-service.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

const runEnded = (client: OraClient, state: string) => nextPush(client, "schedule", (data) => data.run?.state === state);

describe("reminders and scheduled jobs", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let service: FakePushService;
  let fake: FakeLLM;
  let ownerId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  let owner: OraClient;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));

  beforeAll(async () => {
    const vapid = await vapidKeys();
    service = await FakePushService.start(vapid.publicKey);
    fake = await startFakeOpenAI();
    relay = await startRelay(pushRelayVars(vapid));
    agent = await startAgent(relay.url, newStateDir(), {
      ORA_TIME_ZONE: "Europe/Paris",
      ORA_TOOL_ROOTS: root,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: "test-key",
    });
    ownerId = await provisionDevice(relay, agent, "owner-phone", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
    owner = await OraClient.connect({ identity: ownerId });
    expect(await owner.request("notifications.subscribe", (await service.subscribe("owner-phone")).subscription)).toEqual({ enabled: true });
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    owner?.close();
    await agent?.stop();
    await relay?.dispose();
    await service?.close();
    await fake?.close();
  });

  it("sets a reminder when the model calls schedule.create, and the phone is notified at that time", async () => {
    fake.script(toolCall("schedule_create", ['{"when":"in 2 seconds","text":"stretch your legs"}']), text("I will remind you."));
    const chunks: unknown[] = [];
    const delivered = runEnded(owner, "delivered");
    const told = nextPush(owner, "conversation", (data) => data.message.content.includes("stretch your legs"));
    const answer = await owner.request("chat", { text: "remind me in 2 seconds to stretch my legs" }, { onChunk: (c) => chunks.push(c) });
    expect(answer.text).toBe("I will remind you.");
    const step = chunks.find(
      (c): c is { schedule: { text: string; nextAt: number; timeZone: string } } => typeof c === "object" && c !== null && "schedule" in c,
    );
    expect(step?.schedule).toMatchObject({ text: "stretch your legs", timeZone: "Europe/Paris", kind: "once" });
    // The model was told the exact time it set, to say it back.
    const toolResult = JSON.stringify(fake.requests[1]!.body.messages);
    expect(toolResult).toMatch(/stretch your legs: \w{3} \d{1,2} \w{3} \d{2}:\d{2} Europe\/Paris/);

    const push = await service.next("owner-phone");
    expect(push.notification).toMatchObject({ title: "Reminder", body: "stretch your legs", url: "/#reminders" });
    expect(push.receivedAt).toBeGreaterThanOrEqual(step!.schedule.nextAt);
    expect(push.body.includes(Buffer.from("stretch"))).toBe(false);
    expect((await delivered).run).toMatchObject({ state: "delivered", notifiedBy: "agent", lateMs: expect.any(Number) });
    const message = await told;
    const { conversations } = await owner.request("conversations.list");
    expect(conversations.find((c) => c.id === message.conversation)).toMatchObject({ title: "Reminders" });
  });

  it("sets a reminder with /remind without asking the model, echoing the exact time it understood", async () => {
    const delivered = runEnded(owner, "delivered");
    const answer = await owner.request("chat", { text: "/remind in 2 seconds drink water" });
    expect(answer.text).toMatch(/^⏰ Reminder set for \w{3} \d{1,2} \w{3} \d{2}:\d{2} Europe\/Paris: drink water/);
    expect(answer.schedule).toMatchObject({ text: "drink water", kind: "once", state: "active" });
    expect(fake.requests).toHaveLength(0);
    expect((await service.next("owner-phone")).notification).toMatchObject({ title: "Reminder", body: "drink water" });
    expect((await delivered).schedule).toMatchObject({ id: answer.schedule!.id, state: "done" });
    expect((await owner.request("chat", { text: "/remind when pigs fly" })).text).toMatch(/I could not read when/);
  });

  it("runs a scheduled job as its user: a step that needs an approval becomes a waiting task", async () => {
    fake.script(toolCall("files_write", [`{"root":0,"path":"daily.txt","content":"today"}`]), text("The write waits for your approval."));
    const tasks = watchTasks(owner);
    const taskPushed = nextPush(owner, "task", (data) => data.task.state === "waiting_approval");
    const ran = runEnded(owner, "delivered");
    const { schedule, understood } = await owner.request("schedules.create", { action: "job", when: "in 1 second", text: "write today's note to daily.txt" });
    expect(schedule).toMatchObject({ action: "job", kind: "once", catchUp: "late" });
    expect(understood).toMatch(/^write today's note to daily.txt: /);

    const { task } = await taskPushed;
    expect(task).toMatchObject({ tool: "files.write", risk: "HIGH", requester: { device: ownerId.device, role: "owner" } });
    expect((await ran).run).toMatchObject({ action: "job", detail: "The write waits for your approval." });
    expect(fake.requests[0]!.body.messages).toEqual(
      expect.arrayContaining([expect.objectContaining({ content: expect.stringContaining("Scheduled job (in 1 second)") })]),
    );
    // The phone hears of the approval the job's step asks for, then of the job's answer.
    expect((await service.next("owner-phone")).notification).toMatchObject({ body: "Approval needed: files.write (HIGH) asked by owner-phone" });
    expect((await service.next("owner-phone")).notification).toMatchObject({ title: "Scheduled job done", body: "The write waits for your approval." });

    fake.script(text("Written."));
    await owner.request("approvals.decide", { id: task.approval, verdict: "approve" });
    expect(await tasks.ended(task.id)).toMatchObject({ state: "done" });
  });

  it("keeps a guest of the private profile to reminders: no jobs, and only its own schedules", async () => {
    const guest = await OraClient.connect({ identity: guestId });
    try {
      await expect(guest.request("schedules.create", { action: "job", when: "in 1 hour", text: "x" })).rejects.toMatchObject({ code: "not_found" });
      const { schedule } = await guest.request("schedules.create", { when: "in 1 hour", text: "guest's reminder" });
      expect(schedule.user).toBe(guestId.device);
      const seen = await guest.request("schedules.list");
      expect(seen.schedules.map((s) => s.text)).toEqual(["guest's reminder"]);
      await expect(owner.request("schedules.cancel", { id: schedule.id })).rejects.toMatchObject({ code: "not_found" });
      expect((await guest.request("schedules.cancel", { id: schedule.id })).schedule.state).toBe("cancelled");
    } finally {
      guest.close();
    }
  });

  it("lists and cancels schedules from the PC's command line, next run in local time", async () => {
    const env = { TZ: "Asia/Tokyo" };
    const added = await runAgentCommand(["schedules", "add", "--state-dir", agent.stateDir, "every", "monday", "8:00", "team", "call"], env);
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toMatch(/⏰ Reminder set every Monday at 08:00 \(Europe\/Paris\), first Mon \d{1,2} \w{3} 08:00 Europe\/Paris: team call/);
    const listed = await runAgentCommand(["schedules", "--state-dir", agent.stateDir], env);
    const line = listed.stdout.split("\n").find((l) => l.includes("team call"))!;
    // 08:00 in Paris is 16:00 in Tokyo in winter.
    expect(line).toMatch(/^s\w+ {2}Mon \d{1,2} \w{3} 16:00 Asia\/Tokyo +reminder {2}team call {2}every Monday at 08:00 \[Europe\/Paris\] {2}\(owner\)$/);
    const id = line.split(" ")[0]!;
    expect((await runAgentCommand(["schedules", "cancel", id, "--state-dir", agent.stateDir], env)).stdout).toMatch(/^cancelled: /);
    expect((await runAgentCommand(["schedules", "cancel", id, "--state-dir", agent.stateDir], env)).stderr).toMatch(/is cancelled already/);
  });
});
