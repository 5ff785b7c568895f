/**
 * The web client in a real Chromium, served by the relay's own asset serving, talking to the real
 * agent process through the relay: pairing, chat, approvals across devices, CRITICAL at the PC, devices,
 * and the PC going away and coming back.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

describe("the web client", () => {
  let relay: Relay;
  let browser: Browser;
  let home: AgentProcess; // private profile: the owner's own PC
  let shared: AgentProcess; // shared profile: guests may write files, with the owner's approval
  const homeDir = newStateDir();
  const root = mkdtempSync(join(tmpdir(), "ora-web-root-"));
  const sharedEnv = { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "time.now,files.write", ORA_TOOL_ROOTS: root };
  const pages: TestPage[] = [];
  let owner: TestPage; // owner of the private PC
  let sharedOwner: TestPage;
  let guest: TestPage;

  const newPhone = async () => {
    const p = await phone(browser);
    pages.push(p);
    return p;
  };
  const say = async (p: TestPage, text: string) => {
    const before = await p.page.locator(".msg.ora").count();
    await p.page.fill("#message", text);
    await p.page.keyboard.press("Enter");
    const bubble = p.page.locator(".msg.ora").nth(before);
    await bubble.waitFor();
    return bubble;
  };
  const answered = async (bubble: ReturnType<TestPage["page"]["locator"]>) => {
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    return (await bubble.innerText()).trim();
  };

  beforeAll(async () => {
    relay = await startRelay();
    browser = await launchChromium();
    home = await startAgent(relay.url, homeDir, { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    shared = await startAgent(relay.url, newStateDir(), sharedEnv);
  });
  afterAll(async () => {
    for (const p of pages) await p.context.close();
    await browser?.close();
    await home?.stop();
    await shared?.stop();
    await relay?.dispose();
  });

  it("serves the app with a strict Content-Security-Policy, also at /pair", async () => {
    for (const path of ["/", "/pair"]) {
      const response = await fetch(new URL(path, relay.url));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="app">');
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/unsafe-(inline|eval)/);
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("pairs by link after saying which relay and what happens, keeps a non-extractable key, and drops the code from the address bar", async () => {
    owner = await newPhone();
    const pair = await offerPairing(relay.url, homeDir, ["--yes", "--role", "owner"]);
    await owner.page.goto(pair.url);
    await expect.poll(() => owner.page.locator(".pair-page").innerText()).toContain(new URL(relay.url).host);
    expect(owner.page.url()).toBe(`${relay.url}/pair`);
    expect(await owner.page.locator(".pair-page").innerText()).toMatch(/ask its owner to confirm/);
    await screenshot(owner.page, "01-pair-confirm");
    await owner.page.fill("#device-name", "Owner phone");
    await owner.page.click("button:has-text('Pair')");
    await owner.page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await pair.exit).toBe(0);
    expect(pair.output()).toMatch(/Paired "Owner phone" as owner/);
    const key = await owner.page.evaluate(
      () =>
        new Promise<{ kind: string; extractable: boolean | undefined }>((resolve) => {
          const open = indexedDB.open("ora");
          open.onsuccess = () => {
            const get = open.result.transaction("kv").objectStore("kv").get("device");
            get.onsuccess = () => resolve({ kind: get.result.key.kind, extractable: get.result.key.privateKey?.extractable });
          };
        }),
    );
    expect(key).toEqual({ kind: "webcrypto", extractable: false });
    expect(await owner.page.locator("[role=tab] .tab-label").allTextContents()).toEqual(["Chat", "Tasks", "Reminders", "Approvals", "Devices", "Settings"]);
  });

  it("pairs by typed code, and a guest sees only the chat, its tasks, its reminders and its settings", async () => {
    guest = await newPhone();
    const pair = await offerPairing(relay.url, shared.stateDir, ["--yes", "--role", "guest", "--name", "Guest tablet"]);
    await guest.page.goto(relay.url);
    await guest.page.fill("#code", pair.code);
    await guest.page.click("button:has-text('Pair')");
    await guest.page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await guest.page.locator("[role=tab] .tab-label").allTextContents()).toEqual(["Chat", "Tasks", "Reminders", "Settings"]);
    await screenshot(guest.page, "02-guest-chat");

    sharedOwner = await newPhone();
    await pairByLink(sharedOwner.page, (await offerPairing(relay.url, shared.stateDir, ["--yes", "--role", "owner"])).url, "Shared owner");
  });

  it("explains a wrong code and a declined pairing in plain words", async () => {
    const p = await newPhone();
    const pair = await offerPairing(relay.url, homeDir);
    const [nameplate, ...words] = pair.code.split("-");
    await p.page.goto(relay.url);
    await p.page.fill("#code", [nameplate, ...words.slice(0, 2), words[2] === "abandon" ? "ability" : "abandon"].join("-"));
    await p.page.click("button:has-text('Pair')");
    await expect.poll(() => p.page.locator(".status.error").innerText(), { timeout: 15_000 }).toMatch(/code was wrong/);
    await screenshot(p.page, "03-pair-wrong-code");

    const unattended = await offerPairing(relay.url, homeDir, []);
    await p.page.fill("#code", unattended.code);
    await p.page.click("button:has-text('Pair')");
    await expect.poll(() => p.page.locator(".status.error").innerText(), { timeout: 15_000 }).toMatch(/declined/);
  });

  it("says plainly when a pairing code has expired", async () => {
    // A relay whose operator caps offers at one second: the code is gone before anyone uses it.
    const quick = await startRelay({ ORA_PAIR_MAX_TTL_SEC: "1" });
    const pc = await startAgent(quick.url, newStateDir());
    try {
      const pair = await offerPairing(quick.url, pc.stateDir);
      expect(await pair.exit).not.toBe(0);
      expect(pair.output()).toMatch(/expired/);
      const p = await newPhone();
      await p.page.goto(pair.url);
      await p.page.fill("#device-name", "Late phone");
      await p.page.click("button:has-text('Pair')");
      await expect.poll(() => p.page.locator(".status.error").innerText(), { timeout: 15_000 }).toMatch(/expired, or it was already used/);
    } finally {
      await pc.stop();
      await quick.dispose();
    }
  });

  it("answers without a model with what works, runs a direct command, and renders Markdown without running script", async () => {
    const hello = await answered(await say(owner, "Hello there"));
    expect(hello).toMatch(/No language model is configured/);
    expect(hello).toMatch(/\/tools/);
    expect(await answered(await say(owner, "/run time.now"))).toMatch(/iso|time/i);
    const payload = `<img src=x onerror="window.__xss=1"> [click](javascript:window.__xss=2) ![pixel](https://example.invalid/p.png)`;
    await answered(await say(owner, `/run notes.add ${JSON.stringify({ text: payload })}`));
    const listed = await say(owner, "/run notes.list");
    expect(await answered(listed)).toContain("onerror");
    expect(await owner.page.locator(".log img").count()).toBe(0);
    expect(await owner.page.locator(".log a[href^='javascript']").count()).toBe(0);
    expect(await owner.page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    await screenshot(owner.page, "04-chat");
  });

  it("lets a guest's HIGH call wait as a task until the owner approves it in the inbox, then shows the guest the result in place", async () => {
    const bubble = await say(guest, `/run files.write ${JSON.stringify({ root: 0, path: "from-guest.txt", content: "hello from the tablet" })}`);
    // The answer comes at once: the call waits as a task, and its step says so.
    expect(await answered(bubble)).toMatch(/waits for the owner's approval as task/);
    const step = bubble.locator(".task-step");
    expect(await step.innerText()).toMatch(/files\.write HIGH · waiting for approval/);
    await expect.poll(() => sharedOwner.page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await sharedOwner.page.click("#tab-approvals");
    const card = sharedOwner.page.locator(".approval").first();
    await expect.poll(() => card.innerText()).toContain("from-guest.txt");
    const text = await card.innerText();
    expect(text).toMatch(/HIGH/);
    expect(text).toContain("Guest tablet");
    expect(text).toMatch(/chat command from Guest tablet/);
    await screenshot(sharedOwner.page, "05-approvals-inbox");
    await card.locator("button.approve").click();
    await expect.poll(() => step.innerText(), { timeout: 10_000 }).toBe("files.write done");
    expect(await bubble.locator(".body").innerText()).toMatch(/from-guest\.txt/);
    expect(await bubble.innerText()).not.toMatch(/waiting/);
    expect(readFileSync(join(root, "from-guest.txt"), "utf8")).toBe("hello from the tablet");
    await expect.poll(() => sharedOwner.page.locator(".badge").isHidden(), { timeout: 5000 }).toBe(true);
    await screenshot(guest.page, "06-guest-result");
  });

  it("shows no one-time code for a CRITICAL call on a device, names the command at the PC, and runs once approved there", async () => {
    const bubble = await say(owner, `/run run.program ${JSON.stringify({ argv: ["echo", "critical ok"], root: 0 })}`);
    expect(await answered(bubble)).toMatch(/run\.program \(CRITICAL\) waits for the owner's approval/);
    await expect.poll(() => owner.page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await owner.page.click("#tab-approvals");
    const card = owner.page.locator(".approval.risk-critical").first();
    const id = await card.getAttribute("data-id");
    expect(await card.locator(".pc-command").innerText()).toBe(`ora-agent approve ${id} --code <code shown by: ora-agent approvals>`);
    expect(await card.innerText()).not.toMatch(/\b\d{6}\b/);
    expect(await card.locator("button.approve").innerText()).toBe("Approve with passkey");
    await screenshot(owner.page, "07-critical-at-the-pc");
    const listed = await runAgentCommand(["approvals", "--state-dir", homeDir]);
    const code = new RegExp(`${id}.*code (\\d{6})`).exec(listed.stdout)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(await runAgentCommand(["approve", id!, "--code", code!, "--state-dir", homeDir])).toMatchObject({ code: 0 });
    await owner.page.click("#tab-chat");
    await expect.poll(() => bubble.locator(".task-step").innerText(), { timeout: 10_000 }).toBe("run.program done");
    expect(await bubble.locator(".body").innerText()).toContain("critical ok");
  });

  it("lists devices with role and last seen, marks this one, and revoking the guest disconnects it at once", async () => {
    await sharedOwner.page.click("#tab-settings");
    await sharedOwner.page.click("button.open-devices");
    const list = sharedOwner.page.locator(".devices");
    await expect.poll(() => list.locator(".device", { has: sharedOwner.page.locator(".this-device") }).innerText()).toMatch(/Shared owner/);
    expect(await list.innerText()).toMatch(/Guest tablet\s+Guest · last seen/);
    await screenshot(sharedOwner.page, "08-devices");
    const row = sharedOwner.page.locator(".device", { hasText: "Guest tablet" });
    await row.locator("button.revoke").click();
    await row.locator("button.revoke").click();
    await expect.poll(() => guest.page.locator("section.revoked").count(), { timeout: 10_000 }).toBe(1);
    expect(await guest.page.locator("section.revoked").innerText()).toMatch(/no longer has access/);
    await screenshot(guest.page, "09-guest-revoked");
    await expect.poll(() => sharedOwner.page.locator(".device", { hasText: "Guest tablet" }).innerText()).toMatch(/revoked/);
  });

  it("shows the PC going offline and coming back, and works again afterwards", async () => {
    await owner.page.click("#tab-chat");
    await home.stop();
    await owner.page.waitForSelector(".state.pc-offline", { timeout: 10_000 });
    const offline = await answered(await say(owner, "/run time.now"));
    expect(offline).toMatch(/not connected right now/);
    await screenshot(owner.page, "10-pc-offline");
    home = await startAgent(relay.url, homeDir, { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    await owner.page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await answered(await say(owner, "/run time.now"))).toMatch(/iso|time/i);
  });

  it("logged no console errors on any page", () => {
    for (const p of pages) expect(p.errors.filter((e) => !isExpected(e))).toEqual([]);
  });
});

/** Refused claims close the socket on purpose (wrong code, declined); Chromium logs that as an error. */
function isExpected(error: string): boolean {
  return /WebSocket connection to .*\/v1\/pair\//.test(error);
}
