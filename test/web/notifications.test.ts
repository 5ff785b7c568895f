/**
 * Notifications in a real Chromium: the service worker shows a push the PC encrypted (delivered here
 * with CDP's ServiceWorker.deliverPushMessage, as the browser would after decrypting it) and ignores
 * anything else; an open page follows the service worker to the page a notification names; and the
 * per-device setting, with every state it can be in. A browser cannot reach a real push service here
 * (TOOLCHAIN: pushManager.subscribe never settles offline), so that one call is replaced in the page
 * by a subscription made up for the test. The agent is the real Connector in this process, whose
 * notifications.* handlers record what the device sent.
 */
import { createECDH } from "node:crypto";
import { type ParamsInput, type Task, toBase64Url } from "@ora/protocol";
import { builtinHandlers, Connector, createLogger, type HandlerRegistry, loadOrCreateIdentity, PairedDevices, SecureSessions } from "ora-agent";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { type InjectedDevice, launchChromium, openPaired, recordErrors, screenshot } from "./browser.js";

const VAPID_KEY = toBase64Url(createECDH("prime256v1").generateKeys());
const SUBSCRIPTION = {
  endpoint: "https://push.example.test/send/device-1",
  keys: { p256dh: toBase64Url(createECDH("prime256v1").generateKeys()), auth: toBase64Url(new Uint8Array(16).fill(7)) },
};

describe("notifications in the web client", () => {
  let relay: Relay;
  let connector: Connector;
  let browser: Browser;
  let device: InjectedDevice;
  const contexts: BrowserContext[] = [];
  const errorLists: string[][] = [];
  const stateDir = newStateDir();
  const received: (ParamsInput<"notifications.subscribe"> | "unsubscribe")[] = [];
  let enabled = false;
  const now = Date.now();
  const task: Task = {
    ...{ id: "t-1", state: "done", tool: "files.write", argsHash: "h", risk: "HIGH", conversation: null, approval: "a-1", result: { path: "a.txt" } },
    ...{ requester: { device: "d", role: "guest", user: "u", via: "relay" }, createdAt: now, updatedAt: now, expiresAt: now + 3600_000, finishedAt: now },
  };

  /** A phone-sized page with the notifications permission; `init` runs in the page before the app. */
  const newPage = async (init?: () => void): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    contexts.push(context);
    await context.grantPermissions(["notifications"], { origin: relay.url });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    errorLists.push(recordErrors(page));
    return page;
  };
  const notifyState = (page: Page) => page.locator(".notify-state").getAttribute("data-state");

  beforeAll(async () => {
    relay = await startRelay();
    const { nodeId, credential } = await relay.register();
    const handlers: HandlerRegistry = builtinHandlers()
      .register("tools.list", () => ({ tools: [] }))
      .register("tasks.list", () => ({ tasks: [task] }))
      .register("tasks.get", () => ({ task }))
      .register("notifications.subscribe", (subscription) => {
        received.push(subscription);
        enabled = true;
        return { enabled: true as const };
      })
      .register("notifications.unsubscribe", () => {
        received.push("unsubscribe");
        enabled = false;
        return { enabled: false as const };
      })
      .register("notifications.status", () => ({ enabled }));
    let connected = false;
    connector = new Connector({
      relay: relay.url,
      credential,
      handlers,
      secure: new SecureSessions(loadOrCreateIdentity(stateDir), new PairedDevices(stateDir)),
      log: createLogger("error"),
      onState: (state) => (connected ||= state.status === "connected"),
    });
    void connector.run();
    await until(() => connected, 5000, "the agent connected");
    const provisioned = await provisionDevice(relay, { stateDir, node: () => ({ credential }) }, "Guest phone", "guest");
    const { relay: url, device: id, agentPublicKey, secretKey } = provisioned;
    device = { relay: url, node: nodeId, device: id, name: "Guest phone", role: "guest", credential: provisioned.credential, agentPublicKey, secretKey };
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await connector?.stop();
    await relay?.dispose();
  });

  it("shows a pushed notification with its title, body and link, and ignores pushes that are not notifications", async () => {
    const page = await newPage();
    await page.goto(relay.url);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cdp = await page.context().newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...event.registrations));
    await cdp.send("ServiceWorker.enable");
    await expect.poll(() => registrations.find((r) => r.scopeURL === `${relay.url}/`)).toBeDefined();
    const { registrationId } = registrations.find((r) => r.scopeURL === `${relay.url}/`)!;
    const push = (data: string) => cdp.send("ServiceWorker.deliverPushMessage", { origin: relay.url, registrationId, data });

    const shown = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, icon: n.icon })),
      );
    const notification = (tag: string) =>
      JSON.stringify({ title: "Approval needed", body: "files.write (HIGH) asked by Guest phone", url: "/#approvals", tag });
    // The first push reaches a worker that a loaded machine may still be starting: sent again (the
    // same tag replaces, never adds) until it shows.
    await expect
      .poll(async () => {
        if ((await shown()).length === 0) await push(notification("approval-a1"));
        return shown();
      })
      .toHaveLength(1);
    await push("not json");
    await push(JSON.stringify({ title: "Sneaky", body: "elsewhere", url: "https://evil.example/", tag: "x" }));
    await push(notification("approval-b2"));
    await expect.poll(shown).toHaveLength(2);
    const expected = (tag: string) => ({
      title: "Approval needed",
      body: "files.write (HIGH) asked by Guest phone",
      tag,
      data: { url: "/#approvals" },
      icon: `${relay.url}/icon-192.png`,
    });
    expect((await shown()).sort((a, b) => a.tag.localeCompare(b.tag))).toEqual([expected("approval-a1"), expected("approval-b2")]);
  });

  it("takes an open page to the task a clicked notification names", async () => {
    const page = await newPage();
    await openPaired(page, device);
    const [worker] = page.context().serviceWorkers();
    expect(worker).toBeDefined();
    // What the service worker's notificationclick does with an open window (sw.ts), sent from the worker itself.
    await worker!.evaluate(async (url) => {
      // The test's TypeScript has no WebWorker types: the one call used, as the worker has it.
      const scope = self as unknown as { clients: { matchAll(options: object): Promise<{ postMessage(message: unknown): void }[]> } };
      for (const client of await scope.clients.matchAll({ type: "window", includeUncontrolled: true })) client.postMessage({ type: "open", url });
    }, `${relay.url}/#tasks/t-1`);
    await expect.poll(() => page.getAttribute("#tab-tasks", "aria-selected")).toBe("true");
    await expect.poll(() => page.locator(".task.highlight").getAttribute("data-id")).toBe("t-1");
    expect(new URL(page.url()).hash).toBe("#tasks/t-1");
  });

  it("turns notifications on only when asked, sends the subscription to the PC, and turns them off again", async () => {
    const page = await newPage();
    await page.context().addInitScript((subscription) => {
      const w = window as unknown as { asked: number; subscribed?: PushSubscriptionOptionsInit };
      w.asked = 0;
      const ask = Notification.requestPermission.bind(Notification);
      Notification.requestPermission = () => (w.asked++, ask());
      let current: PushSubscription | null = null;
      PushManager.prototype.subscribe = async (options) => {
        w.subscribed = options;
        const json = { ...subscription, expirationTime: null };
        const made = { ...json, options, toJSON: () => json, unsubscribe: async () => ((current = null), true) };
        current = made as unknown as PushSubscription;
        return current;
      };
      PushManager.prototype.getSubscription = async () => current;
    }, SUBSCRIPTION);
    await page.route("**/v1/push/vapid-key", (route) => route.fulfill({ json: { publicKey: VAPID_KEY } }));
    await openPaired(page, device);
    await page.click("#tab-settings");
    await expect.poll(() => notifyState(page)).toBe("off");
    expect(await page.evaluate(() => (window as unknown as { asked: number }).asked)).toBe(0);

    await page.click("button.toggle-notify");
    await expect.poll(() => notifyState(page)).toBe("on");
    expect(await page.locator(".notify-state").innerText()).toMatch(/^On/);
    expect(received).toEqual([SUBSCRIPTION]);
    const options = await page.evaluate(() => {
      const { subscribed } = window as unknown as { subscribed: { userVisibleOnly: boolean; applicationServerKey: Uint8Array } };
      return { userVisibleOnly: subscribed.userVisibleOnly, key: [...new Uint8Array(subscribed.applicationServerKey)] };
    });
    expect(options).toEqual({ userVisibleOnly: true, key: [...Buffer.from(VAPID_KEY, "base64url")] });
    expect(await page.evaluate(() => (window as unknown as { asked: number }).asked)).toBe(1);
    expect(await page.locator("button.toggle-notify").innerText()).toBe("Turn off");
    await screenshot(page, "16-settings-notifications-on");
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, "16-settings-notifications-on-desktop");

    await page.click("button.toggle-notify");
    await expect.poll(() => notifyState(page)).toBe("off");
    expect(received.at(-1)).toBe("unsubscribe");
  });

  it("says so when the relay sends no notifications, the browser cannot, or the site is blocked", async () => {
    // This relay has no VAPID key: it answers 404.
    const noPush = await newPage();
    await openPaired(noPush, device, "/#settings");
    await expect.poll(() => notifyState(noPush)).toBe("no-push");
    expect(await noPush.locator("button.toggle-notify").isHidden()).toBe(true);

    const unsupported = await newPage(() => Reflect.deleteProperty(window, "PushManager"));
    await openPaired(unsupported, device, "/#settings");
    await expect.poll(() => notifyState(unsupported)).toBe("unsupported");

    const blocked = await newPage(() => Object.defineProperty(Notification, "permission", { get: () => "denied" }));
    await openPaired(blocked, device, "/#settings");
    await expect.poll(() => notifyState(blocked)).toBe("denied");
    expect(await blocked.locator(".notify-state").innerText()).toMatch(/blocked for this site/);
  });

  it("logged no console errors on any page", () => {
    expect(errorLists.flat()).toEqual([]);
  });
});
