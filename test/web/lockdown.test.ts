/**
 * Lockdown in a real Chromium: the Settings card of an owner device asks once more before it locks the
 * PC down, the banner shows while it lasts, another device is disconnected, and the banner goes when
 * the PC's owner ends it. Real relay, real agent.
 */
import { CloseCode, OraClient } from "@ora/protocol";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, openPaired, phone, screenshot, type TestPage } from "./browser.js";

describe("lockdown in the web client", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let laptopId: ProvisionedDevice;
  const stateDir = newStateDir();

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, stateDir);
    const phoneId = await provisionDevice(relay, agent, "owner-phone", "owner");
    laptopId = await provisionDevice(relay, agent, "owner-laptop", "owner");
    browser = await launchChromium();
    owner = await phone(browser);
    await openPaired(owner.page, { ...phoneId, relay: relay.url, node: agent.node().nodeId, name: "owner-phone", role: "owner" }, "/#settings");
  });
  afterAll(async () => {
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("asks once more, locks the PC down, disconnects the other device and shows the banner until the PC unlocks", async () => {
    const { page } = owner;
    const laptop = await OraClient.connect({ identity: laptopId });
    await laptop.request("ping");
    const closed = new Promise<number>((resolve) => laptop.onClose(resolve));
    await expect.poll(() => page.locator(".lockdown-state").innerText()).toBe("Not locked down.");

    await page.click(".lockdown-start");
    await page.click(".lockdown-cancel");
    expect((await laptop.request("lockdown.status")).lockdown.locked).toBe(false);
    await page.click(".lockdown-start");
    await expect.poll(() => page.locator(".lockdown-confirmation").isVisible()).toBe(true);
    await page.click(".lockdown-confirm");

    await expect.poll(() => page.locator(".lockdown-banner").isVisible()).toBe(true);
    expect(await page.locator(".lockdown-banner").innerText()).toMatch(
      /^Lockdown since .*, by owner-phone: .*Only the PC \(ora-agent unlock\) or an owner's passkey can end it\.$/,
    );
    await expect.poll(() => page.locator(".lockdown .status").innerText()).toMatch(/Locked down: 0 waiting tasks cancelled, 1 other session closed\./);
    expect(await closed).toBe(CloseCode.LOCKED_DOWN);
    expect(await page.locator(".state").getAttribute("class")).toContain("online");
    await screenshot(page, "lockdown");

    expect((await runAgentCommand(["unlock", "--state-dir", stateDir])).code).toBe(0);
    await expect.poll(() => page.locator(".lockdown-banner").isHidden()).toBe(true);
    expect(owner.errors).toEqual([]);
  });
});
