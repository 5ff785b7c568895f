/**
 * Web Push end to end: the real relay (with a VAPID key and the loopback allowance), the real agent
 * process, and a push service on 127.0.0.1 that checks the relay's VAPID token and decrypts what
 * arrives with the subscription's own keys. Devices subscribe over the sealed session; the PC
 * encrypts; the relay only signs and forwards ciphertext.
 */
import { OraClient, type Task } from "@ora/protocol";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { FakePushService, type TestSubscription, pushRelayVars, vapidKeys } from "../helpers/push-service.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";

async function waitingWrite(guest: OraClient, path: string): Promise<Task> {
  const answer = await guest.request("tools.call", { name: "files.write", args: { root: 0, path, content: "hello" } });
  if (answer.status !== "waiting") throw new Error(`files.write of ${path} ran without an approval`);
  return answer.task;
}

describe("Web Push notifications", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let service: FakePushService;
  let vapid: { publicKey: string; privateKey: string };
  let ownerId: ProvisionedDevice;
  let laptopId: ProvisionedDevice;
  let guestId: ProvisionedDevice;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-root-")));
  /** What the relay (wrangler and workerd) wrote to this process's output and console. */
  let relayLog = "";

  beforeAll(async () => {
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array, ...rest: any[]) => {
        relayLog += String(chunk);
        return write(chunk, ...rest);
      });
    }
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      const log = console[level].bind(console);
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        relayLog += `${args.map(String).join(" ")}\n`;
        log(...args);
      });
    }
    vapid = await vapidKeys();
    service = await FakePushService.start(vapid.publicKey);
    relay = await startRelay(pushRelayVars(vapid));
    agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write", ORA_TOOL_ROOTS: root });
    ownerId = await provisionDevice(relay, agent, "owner-phone", "owner");
    laptopId = await provisionDevice(relay, agent, "owner-laptop", "owner");
    guestId = await provisionDevice(relay, agent, "guest-tablet", "guest");
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await agent?.stop();
    await relay?.dispose();
    await service?.close();
  });

  async function subscribed(identity: ProvisionedDevice, name: string): Promise<{ client: OraClient; sub: TestSubscription }> {
    const client = await OraClient.connect({ identity });
    const sub = await service.subscribe(name);
    expect(await client.request("notifications.subscribe", sub.subscription)).toEqual({ enabled: true });
    expect(await client.request("notifications.status")).toEqual({ enabled: true });
    return { client, sub };
  }

  it("hands web clients the relay's VAPID public key", async () => {
    const response = await fetch(`${relay.url}/v1/push/vapid-key`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ publicKey: vapid.publicKey });
  });

  it("tells the owner of a guest's approval and the guest of its outcome, and the relay never holds the text", async () => {
    const owner = await subscribed(ownerId, "owner-phone");
    const guest = await subscribed(guestId, "guest-tablet");
    const tasks = watchTasks(guest.client);
    const task = await waitingWrite(guest.client, "notified.txt");

    const asked = await service.next("owner-phone");
    expect(asked.notification).toEqual({
      title: "ORA (shared)",
      body: "Approval needed: files.write (HIGH) asked by guest-tablet",
      url: "/#approvals",
      tag: task.approval,
    });
    expect(asked.headers).toMatchObject({ urgency: "high", "content-encoding": "aes128gcm" });
    expect(asked.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(asked.claims).toMatchObject({ sub: "mailto:operator@example.test" });
    // What crossed the relay: ciphertext of the full padded size, without the text or the tool's name.
    expect(asked.body.byteLength).toBe(4096);
    for (const text of ["Approval needed", "files.write", "guest-tablet"]) expect(asked.body.includes(Buffer.from(text))).toBe(false);

    await owner.client.request("approvals.decide", { id: task.approval, verdict: "approve" });
    expect(await tasks.ended(task.id)).toMatchObject({ state: "done" });
    const done = await service.next("guest-tablet");
    expect(done.notification).toEqual({ title: "ORA", body: "Done: files.write", url: `/#tasks/${task.id}`, tag: task.id });
    expect(service.problems).toEqual([]);

    const { nodeId } = agent.node();
    const metrics = await relay.metrics(nodeId);
    expect(metrics.push).toMatchObject({ sent: 2 });
    const audit = await relay.audit(nodeId, "?limit=500");
    expect(audit.entries.filter((e) => e.kind === "push_subscribed").map((e) => e.device)).toEqual(expect.arrayContaining([ownerId.device, guestId.device]));
    for (const text of ["Approval needed", "Done:", "files.write", "notified.txt"]) {
      expect(audit.text).not.toContain(text);
      expect(JSON.stringify(metrics)).not.toContain(text);
    }
    expect(agent.output()).not.toContain("Approval needed");
    expect(relayLog).toContain("valid header rules"); // the capture works: wrangler's own start-up line
    expect(relayLog).not.toContain("Approval needed");
    owner.client.close();
    guest.client.close();
  });

  it("forgets a subscription the push service says is gone (410), and sends it nothing more; others still hear", async () => {
    const phone = await subscribed(ownerId, "owner-phone-2");
    const laptop = await subscribed(laptopId, "owner-laptop");
    service.answer("owner-phone-2", { status: 410 });
    const guest = await OraClient.connect({ identity: guestId });

    const first = await waitingWrite(guest, "gone-1.txt");
    expect((await service.next("owner-laptop")).notification.tag).toBe(first.approval);
    await until(async () => !(await phone.client.request("notifications.status")).enabled, 5000, "the agent to forget the phone's subscription");
    const { nodeId } = agent.node();
    expect((await relay.audit(nodeId)).entries.some((e) => e.kind === "push_gone" && e.device === ownerId.device)).toBe(true);

    // The next approval reaches the laptop; the phone's push service hears nothing more.
    const second = await waitingWrite(guest, "gone-2.txt");
    expect((await service.next("owner-laptop")).notification.tag).toBe(second.approval);
    expect(service.attempts.get("owner-phone-2")).toBe(1);
    expect((await relay.metrics(nodeId)).push).toMatchObject({ gone: 1 });

    // The guest still hears how its calls end: a denial, too.
    await laptop.client.request("approvals.decide", { id: first.approval, verdict: "deny" });
    expect((await service.next("guest-tablet")).notification).toMatchObject({ body: "Denied: files.write", url: `/#tasks/${first.id}` });
    for (const client of [phone.client, laptop.client, guest]) client.close();
  });

  it("waits out a push service's short Retry-After and delivers on the next attempt", async () => {
    const laptop = await subscribed(laptopId, "owner-laptop-2");
    service.answer("owner-laptop-2", { status: 429, headers: { "Retry-After": "0" } });
    const guest = await OraClient.connect({ identity: guestId });
    const task = await waitingWrite(guest, "retry.txt");
    expect((await service.next("owner-laptop-2")).notification.tag).toBe(task.approval);
    expect(service.attempts.get("owner-laptop-2")).toBe(2);
    expect((await relay.metrics(agent.node().nodeId)).push.retries).toBeGreaterThanOrEqual(1);
    laptop.client.close();
    guest.close();
  });

  it("refuses at subscribe time an endpoint that is not a push service the relay sends to, and keeps nothing", async () => {
    const guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "visitor-phone", "guest") });
    const keys = (await service.subscribe("visitor-phone")).subscription.keys;
    for (const endpoint of ["https://evil.example/push/1", "https://fcm.googleapis.com.evil.example/x", "http://127.0.0.2:9/push"]) {
      await expect(guest.request("notifications.subscribe", { endpoint, keys })).rejects.toMatchObject({
        code: "bad_params",
        message: expect.stringContaining("is not a push service this relay sends to"),
      });
    }
    expect(await guest.request("notifications.status")).toEqual({ enabled: false });
    expect((await relay.metrics(agent.node().nodeId)).push).toMatchObject({ refused_origin: 3 });
    guest.close();
  });
});
