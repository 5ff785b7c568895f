/**
 * The app's frame and the screens around it, in a real Chromium against a real relay and agent:
 * pairing with the keyboard alone, the PC's name and state in the header, the tab bar at the bottom
 * of a phone (also after a long chat) and at the side of a desktop, short ids with a copy button,
 * the language and theme chosen in Settings, the versions under About, and axe-core on every screen
 * in light and dark. Screenshots of each screen at phone and desktop size, in English and Japanese,
 * land in test-results/web/shell-*.png.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, offerPairing, phone, type TestPage } from "./browser.js";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const AGENT_VERSION = (JSON.parse(readFileSync("node-agent/package.json", "utf8")) as { version: string }).version;

describe("the app's frame, pairing, settings, devices and approvals", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let page: Page;
  const pages: TestPage[] = [];
  const root = mkdtempSync(join(tmpdir(), "ora-shell-root-"));

  /** The same screen at phone and desktop size, from the top (the phone size stays afterwards). */
  const shots = async (p: Page, name: string) => {
    for (const [size, viewport] of [
      ["desktop", DESKTOP],
      ["phone", PHONE],
    ] as const) {
      await p.setViewportSize(viewport);
      await p.evaluate(() => window.scrollTo(0, 0));
      // What the screen shows: a full-page shot would draw the fixed tab bar and the sticky composer mid-page.
      await p.screenshot({ path: `test-results/web/shell-${name}-${size}.png` });
    }
  };
  const open = async (tab: string) => {
    await page.click(`#tab-${tab}`);
    await page.waitForSelector(`#panel-${tab}:not([hidden])`);
  };
  const axeInBothThemes = async (p: Page) => {
    for (const colorScheme of ["light", "dark"] as const) {
      await p.emulateMedia({ colorScheme });
      expect(await axeViolations(p), colorScheme).toEqual([]);
    }
    await p.emulateMedia({ colorScheme: "light" });
  };

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    browser = await launchChromium();
    owner = await phone(browser);
    pages.push(owner);
    page = owner.page;
    await owner.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: relay.url });
  });
  afterAll(async () => {
    for (const p of pages) await p.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("says who ORA is and what happens on the pairing page, in English and Japanese, and passes axe in light and dark", async () => {
    await page.goto(relay.url);
    const text = await page.locator(".pair-page").innerText();
    expect(text).toContain("Your own AI secretary, on your own PC");
    expect(text).toMatch(/code your PC shows[\s\S]*six digits[\s\S]*confirm this device/);
    expect(await page.inputValue("#device-name")).toBe("Chrome on Linux");
    await axeInBothThemes(page);
    await shots(page, "en-pair");

    const ja = await phone(browser, { locale: "ja-JP" });
    pages.push(ja);
    await ja.page.goto(relay.url);
    expect(await ja.page.locator(".pair-page").innerText()).toContain("あなたのPCで動く、あなた専用のAI秘書");
    expect(await ja.page.inputValue("#device-name")).toBe("LinuxのChrome");
    expect(await ja.page.getAttribute("html", "lang")).toBe("ja");
    await axeInBothThemes(ja.page);
    await shots(ja.page, "ja-pair");
    await ja.page.emulateMedia({ colorScheme: "dark" });
    await shots(ja.page, "ja-pair-dark");
  });

  it("pairs with the keyboard alone: Tab to the code, Tab past the name, Enter", async () => {
    const offer = await offerPairing(relay.url, agent.stateDir, ["--yes", "--role", "owner"]);
    await page.goto(relay.url);
    await page.waitForSelector("#code");
    const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("code");
    await page.keyboard.type(offer.code);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("device-name");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("Pair");
    await page.keyboard.press("Enter");
    await page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await offer.exit).toBe(0);
    expect(offer.output()).toMatch(/Paired "Chrome on Linux" as owner/);
  });

  it("shows the PC's name and whether it is online in the header, not this browser's name", async () => {
    await expect.poll(() => page.locator(".top .pc-name").innerText()).toBe(hostname().slice(0, 64) || "PC");
    expect(await page.locator(".top .state").innerText()).toBe("Online");
    expect(await page.locator(".top").innerText()).not.toContain("Chrome on Linux");
    expect(await page.title()).toBe(`${hostname().slice(0, 64) || "PC"} · ORA`);
    // Compact: one line.
    expect((await page.locator(".top").boundingBox())!.height).toBeLessThan(64);
  });

  it("keeps the tab bar at the bottom of a phone after a long chat, above it the composer; a desktop has the tabs at the side", async () => {
    const tabs = page.locator(".tabbar [role=tab]:visible .tab-label");
    expect(await tabs.allInnerTexts()).toEqual(["Chat", "Tasks", "Reminders", "Approvals", "Settings"]);
    expect(await page.locator(".tools").count()).toBe(0);
    // Without a model each answer is the long list of what works: a few make a page several screens long.
    for (let i = 0; i < 5; i++) {
      await page.fill("#message", `Hello number ${i}`);
      await page.keyboard.press("Enter");
      await page.locator(".msg.ora").nth(i).waitFor({ timeout: 15_000 });
      await expect.poll(() => page.locator(".msg.ora[aria-busy]").count(), { timeout: 15_000 }).toBe(0);
    }
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(PHONE.height * 3);
    const bar = (await page.locator(".tabbar").boundingBox())!;
    expect(Math.round(bar.y + bar.height)).toBe(PHONE.height);
    expect(bar.width).toBe(PHONE.width);
    expect(await page.locator("#tab-chat").isVisible()).toBe(true);
    const composer = (await page.locator(".composer").boundingBox())!;
    expect(composer.y + composer.height).toBeLessThanOrEqual(bar.y + 1);
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--tabbar-height").trim())).not.toBe("0px");
    await page.screenshot({ path: "test-results/web/shell-en-chat-phone-scrolled.png" });

    await page.setViewportSize(DESKTOP);
    const side = (await page.locator(".tabbar").boundingBox())!;
    const main = (await page.locator("main").boundingBox())!;
    expect(side.x).toBe(0);
    expect(side.height).toBeGreaterThan(DESKTOP.height / 2);
    expect(main.x).toBeGreaterThanOrEqual(side.x + side.width);
    expect(main.width).toBeGreaterThan(900);
    expect(await tabs.allInnerTexts()).toEqual(["Chat", "Tasks", "Reminders", "Approvals", "Devices", "Settings"]);
    await shots(page, "en-chat");
  });

  it("reaches the devices from Settings on a phone, marks this device once, and shortens ids with a copy button", async () => {
    await open("settings");
    await page.click("button.open-devices");
    await page.waitForSelector("#panel-devices:not([hidden]) .device");
    const self = page.locator(".device", { has: page.locator(".this-device") });
    expect(await page.locator(".devices .this-device").count()).toBe(1);
    expect(await self.locator(".this-device").innerText()).toBe("This device");
    expect(await self.innerText()).toMatch(/Chrome on Linux[\s\S]*Owner · last seen/);
    const chip = self.locator(".short-id");
    const id = (await chip.getAttribute("data-id"))!;
    const shown = await chip.innerText();
    expect(shown.length).toBeLessThan(id.length);
    expect(shown.endsWith("…") && id.startsWith(shown.slice(0, -1))).toBe(true);
    await self.locator("button.copy").click();
    await expect.poll(() => self.locator(".id-chip [role=status]").innerText()).toBe("Copied device ID");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
    await axeInBothThemes(page);
    await shots(page, "en-devices");
    await page.click("button.back-to-settings");
    expect(await page.getAttribute("#tab-settings", "aria-selected")).toBe("true");
  });

  it("shows a waiting approval in a tidy card with its badge, and passes axe on approvals and settings in light and dark", async () => {
    await open("chat");
    await page.fill("#message", `/run files.write ${JSON.stringify({ root: 0, path: "note.txt", content: "hi" })}`);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    expect(await page.getAttribute(".badge", "aria-label")).toBe("1 waiting");
    await open("approvals");
    const card = page.locator(".approval").first();
    await expect.poll(() => card.innerText()).toMatch(/files\.write[\s\S]*HIGH[\s\S]*time left/);
    expect(await card.innerText()).toMatch(/Asked by\s+Chrome on Linux This device \(Owner device\)/);
    await axeInBothThemes(page);
    await shots(page, "en-approvals");
    await open("settings");
    await axeInBothThemes(page);
    await shots(page, "en-settings");
  });

  it("shows the agent's version and this app's under About", async () => {
    await open("settings");
    expect(await page.locator(".about-card .agent-version").innerText()).toBe(`ora-agent ${AGENT_VERSION}`);
    expect(await page.locator(".about-card .client-version").innerText()).toBe(`ORA web ${AGENT_VERSION}`);
    expect(await page.locator(".about-card .about-pc").innerText()).toBe(hostname().slice(0, 64) || "PC");
  });

  it("renames this device from Settings (Escape cancels), and the name stays after a reload", async () => {
    await open("settings");
    // Escape closes the form and gives the focus back to the button that opened it.
    await page.click("button.rename-self");
    await page.keyboard.press("Escape");
    expect(await page.locator(".this-device-card form").count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.className)).toContain("rename-self");
    await page.keyboard.press("Enter");
    await page.fill(".this-device-card .new-name", "Kitchen phone");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".device-own-name").innerText()).toBe("Kitchen phone");
    await page.reload();
    await page.waitForSelector(".state.online", { timeout: 15_000 });
    await open("settings");
    expect(await page.locator(".device-own-name").innerText()).toBe("Kitchen phone");
  });

  it("switches the whole app to Japanese from Settings: tab labels, header and screens", async () => {
    await open("settings");
    await page.click(".choice-language label:has-text('日本語')");
    await expect
      .poll(() => page.locator(".tabbar [role=tab]:visible .tab-label").allInnerTexts())
      .toEqual(["チャット", "タスク", "リマインダー", "承認", "設定"]);
    expect(await page.getAttribute("html", "lang")).toBe("ja");
    expect(await page.locator(".top .state").innerText()).toBe("オンライン");
    expect(await page.locator(".settings h2").innerText()).toBe("設定");
    expect(await page.getAttribute(".badge", "aria-label")).toBe("承認待ち 1 件");
    await shots(page, "ja-settings");
    await axeInBothThemes(page);
    await open("approvals");
    expect(await page.locator(".approval").first().innerText()).toMatch(/高リスク[\s\S]*残り/);
    await shots(page, "ja-approvals");
    await open("settings");
    await page.click("button.open-devices");
    expect(await page.locator(".device .this-device").innerText()).toBe("この端末");
    await shots(page, "ja-devices");
    await open("chat");
    await shots(page, "ja-chat");
    // Remembered on this device.
    await page.reload();
    await page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await page.locator("#tab-settings .tab-label").innerText()).toBe("設定");
    await open("settings");
    await page.click(".choice-language label:has-text('English')");
    await expect.poll(() => page.locator("#tab-settings .tab-label").innerText()).toBe("Settings");
  });

  it("keeps the Dark theme after a reload, and System follows the device again", async () => {
    await open("settings");
    await page.click(".choice-theme label:has-text('Dark')");
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.reload();
    await page.waitForSelector(".state.online", { timeout: 15_000 });
    expect(await page.getAttribute("html", "data-theme")).toBe("dark");
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(dark);
    await open("settings");
    expect(await page.isChecked(".choice-theme input[value=dark]")).toBe(true);
    await shots(page, "en-settings-dark");
    await open("approvals");
    await shots(page, "en-approvals-dark");
    await open("settings");
    await page.click(".choice-theme label:has-text('Automatic')");
    expect(await page.getAttribute("html", "data-theme")).toBeNull();
  });

  it("logged no console errors on any page", () => {
    for (const p of pages) expect(p.errors).toEqual([]);
  });
});
