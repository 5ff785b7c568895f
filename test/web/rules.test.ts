/**
 * "Always allow…" in a real Chromium: the owner's inbox offers it beside Approve for a guest's HIGH
 * write, prefilled with the file's folder; choosing it lets the guest's next write in that folder run
 * at once, the rule shows under "Always allowed", and Revoke there makes the next write ask again.
 * Real relay, real agent (shared profile), the guest a real client device.
 */
import { OraClient } from "@ora/protocol";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, offerPairing, pairByLink, phone, recordErrors, screenshot, type TestPage } from "./browser.js";

describe("standing rules in the web client", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let guest: OraClient;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-web-rules-")));
  mkdirSync(join(root, "notes"));

  const write = (path: string) => guest.request("tools.call", { name: "files.write", args: { root: 0, path, content: path } });

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write", ORA_TOOL_ROOTS: root });
    browser = await launchChromium();
    owner = await phone(browser);
    await pairByLink(owner.page, (await offerPairing(relay.url, agent.stateDir, ["--yes", "--role", "owner"])).url, "Owner phone");
    guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "guest-tablet", "guest") });
  });
  afterAll(async () => {
    guest?.close();
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("approves with 'always allow' for the file's folder, lists the rule, and revokes it", async () => {
    const errors = recordErrors(owner.page);
    expect(await write("notes/one.txt")).toMatchObject({ status: "waiting" });
    await expect.poll(() => owner.page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await owner.page.click("#tab-approvals");
    const card = owner.page.locator(".approval");
    await card.locator("summary", { hasText: "Always allow…" }).click();
    await expect.poll(() => card.locator(".always-scope").innerText()).toContain("inside the folder notes/");
    await card.locator(".always-until").selectOption("1");
    await screenshot(owner.page, "rules-always-allow");
    await card.locator("button.approve-always").click();
    await expect.poll(() => owner.page.locator(".badge").isHidden(), { timeout: 5000 }).toBe(true);

    const rule = owner.page.locator(".rules .rule");
    await expect.poll(() => rule.count(), { timeout: 5000 }).toBe(1);
    expect(await rule.innerText()).toContain("inside");
    expect(await write("notes/two.txt")).toMatchObject({ status: "done" });
    await owner.page.reload();
    await owner.page.click("#tab-approvals");
    await expect.poll(() => owner.page.locator(".rules .rule").innerText(), { timeout: 10_000 }).toContain("used 1×");
    await screenshot(owner.page, "rules-list");

    await owner.page.locator(".rules .rule button.revoke-rule").click();
    await expect.poll(() => owner.page.locator(".rules .empty").count(), { timeout: 5000 }).toBe(1);
    expect(await write("notes/three.txt")).toMatchObject({ status: "waiting" });
    expect(errors).toEqual([]);
  });
});
