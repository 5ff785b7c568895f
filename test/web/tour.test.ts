/**
 * Every view of the web client as a person sees it: in English and Japanese, light and dark, at
 * phone (390×844) and desktop (1280×800) size, paired with a real relay and agent (and a fake model),
 * with something in each view. Each view is saved under test-results/web/tour-… for review, axe-core
 * finds no serious or critical violation on any of them, and the page logs no error.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

const LANGUAGES = ["en", "ja"] as const;
const THEMES = ["light", "dark"] as const;
const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const TABS = ["chat", "tasks", "reminders", "approvals", "devices", "settings"] as const;

describe("a tour of every view", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let page: Page;

  const send = async (words: string) => {
    await page.fill("#message", words);
    await page.keyboard.press("Enter");
    await page.waitForSelector(".msg.ora[aria-busy]", { state: "detached" });
  };

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    const files = mkdtempSync(join(tmpdir(), "ora-tour-"));
    agent = await startAgent(relay.url, newStateDir(), { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "test-key", ORA_TOOL_ROOTS: files });
    browser = await launchChromium();
    owner = await phone(browser, { timezoneId: "Asia/Tokyo" });
    page = owner.page;
    await pairByLink(page, (await offerPairing(relay.url, agent.stateDir)).url, "Aiko's phone");
    // Something in every view: a conversation with the model, a note, a call that waits for approval, a reminder.
    fake.script(text("明日の会議の準備:\n\n1. **資料**を印刷する\n2. 会議室を確認する\n\n何かお手伝いしましょうか？"));
    await send("明日の会議の準備を手伝って");
    await send('/run notes.add {"text":"牛乳を買う"}');
    await send('/run files.write {"path":"agenda.txt","content":"10:00 kickoff"}');
    await send("/remind in 2 hours 資料を送る");
  });
  afterAll(async () => {
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });

  /** Opens a tab the way a notification does (its address), so the phone's hidden Devices tab opens too. */
  const visit = async (tab: (typeof TABS)[number]) => {
    await page.evaluate((hash) => {
      location.hash = hash;
    }, `#${tab}`);
    const panel = page.locator(`#panel-${tab}`);
    await expect.poll(() => panel.isVisible()).toBe(true);
    await expect.poll(async () => (await panel.innerText()).trim().length).toBeGreaterThan(0);
    await page.waitForFunction(() => !document.querySelector("[aria-busy='true']"));
  };

  it("shows each view in both languages and themes at phone and desktop size, axe-clean and without errors", async () => {
    const problems: string[] = [];
    for (const language of LANGUAGES) {
      await page.evaluate((choice) => localStorage.setItem("ora.language", choice), language);
      await page.reload();
      await page.waitForSelector(".state.online");
      expect(await page.getAttribute("html", "lang")).toBe(language);
      // The views come in their own chunk after the chat: the waiting approval's badge shows they are there.
      await expect.poll(() => page.locator("#tab-approvals .badge").innerText()).toBe("1");
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme });
        for (const [size, viewport] of Object.entries(SIZES)) {
          await page.setViewportSize(viewport);
          for (const tab of TABS) {
            await visit(tab);
            await screenshot(page, `tour-${tab}-${language}-${theme}-${size}`, { fullPage: false });
            for (const v of await axeViolations(page)) problems.push(`${tab} ${language} ${theme} ${size}: ${v.id} (${v.help}) at ${v.targets.join(", ")}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(owner.errors).toEqual([]);
  });

  it("shows the pairing page in both languages and themes at phone and desktop size, axe-clean", async () => {
    const problems: string[] = [];
    for (const language of LANGUAGES) {
      for (const theme of THEMES) {
        for (const [size, viewport] of Object.entries(SIZES)) {
          const visitor = await phone(browser, { locale: language === "ja" ? "ja-JP" : "en-US", colorScheme: theme, viewport });
          await visitor.page.goto(`${relay.url}/pair`);
          await visitor.page.waitForSelector("form button[type=submit]");
          await screenshot(visitor.page, `tour-pair-${language}-${theme}-${size}`, { fullPage: false });
          for (const v of await axeViolations(visitor.page)) problems.push(`pair ${language} ${theme} ${size}: ${v.id} (${v.help}) at ${v.targets.join(", ")}`);
          expect(visitor.errors).toEqual([]);
          await visitor.context.close();
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
