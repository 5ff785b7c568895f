/**
 * The conversations pane in a real Chromium, paired with a real relay and agent (and a fake model):
 * a person finds an earlier conversation, switches, renames, searches, deletes, follows a
 * conversation's own address across a reload, and uses the phone drawer with the keyboard, in
 * English and Japanese, light and dark.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

const idOf = (page: Page) => /^\/c\/([\w-]+)$/.exec(new URL(page.url()).pathname)?.[1];

describe("the conversations pane", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let page: Page;
  let kyoto: string;
  let dinner: string;

  const pane = () => page.locator("aside.conversations");
  const row = (id: string) => page.locator(`li.conversation[data-conversation="${id}"]`);
  const openDrawer = async () => {
    if (!(await pane().evaluate((el) => el.classList.contains("open")))) await page.click("button.show-conversations");
    await page.waitForSelector("aside.conversations.open .conversations-panel");
  };
  const say = async (words: string, answer: string) => {
    fake.script(text(answer));
    await page.fill("#message", words);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(".msg.ora").last().innerText(), { timeout: 10_000 }).toContain(answer);
    await page.waitForSelector(".msg.ora[aria-busy]", { state: "detached" });
  };
  const pcConversations = async () =>
    JSON.parse((await runAgentCommand(["memory", "list", "--json", "--state-dir", agent.stateDir])).stdout) as { id: string; title: string }[];

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    agent = await startAgent(relay.url, newStateDir(), { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "test-key" });
    browser = await launchChromium();
    owner = await phone(browser);
    page = owner.page;
    await pairByLink(page, (await offerPairing(relay.url, agent.stateDir)).url, "Owner phone");
  });
  afterAll(async () => {
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });

  it("lists two conversations by their first words, marks the one on screen, and switches between them (Back too)", async () => {
    await say("Book the <b>train</b> to Kyoto for Friday", "Booked the 9:10 one.");
    await expect.poll(() => idOf(page)).toBeTruthy();
    kyoto = idOf(page)!;
    await openDrawer();
    await page.click("button.new-conversation-list");
    await expect.poll(() => pane().evaluate((el) => el.classList.contains("open"))).toBe(false);
    expect(new URL(page.url()).pathname).toBe("/");
    expect(await page.locator(".conversation-title").innerText()).toBe("New conversation");
    await say("Plan dinner with Aiko on Saturday", "A table for two at 19:00.");
    await expect.poll(() => idOf(page)).not.toBe(kyoto);
    dinner = idOf(page)!;

    await openDrawer();
    await expect
      .poll(() => page.locator("button.open-conversation .title").allInnerTexts())
      .toEqual(["Plan dinner with Aiko on Saturday", "Book the <b>train</b> to Kyoto for Friday"]);
    expect(await row(dinner).locator("button.open-conversation").getAttribute("aria-current")).toBe("true");
    expect(await row(kyoto).locator("button.open-conversation").getAttribute("aria-current")).toBeNull();
    expect(await row(kyoto).locator(".when").innerText()).toMatch(/now|second|minute/);
    await screenshot(page, "conversations-phone-en-drawer");

    await row(kyoto).locator("button.open-conversation").click();
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
    expect(idOf(page)).toBe(kyoto);
    expect(await page.locator(".conversation-title").innerText()).toBe("Book the <b>train</b> to Kyoto for Friday");
    await page.goBack();
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Plan dinner with Aiko on Saturday"]);
    expect(idOf(page)).toBe(dinner);
    await page.goForward();
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
    expect(owner.errors).toEqual([]);
  });

  it("renames in place: Enter saves it on the PC, Escape cancels and keeps the drawer open", async () => {
    await openDrawer();
    await row(kyoto).locator("button.rename").click();
    const field = page.locator("input.rename-field");
    expect(await field.inputValue()).toBe("Book the <b>train</b> to Kyoto for Friday");
    await field.fill("Kyoto trip");
    await field.press("Enter");
    await expect.poll(() => row(kyoto).locator(".title").innerText()).toBe("Kyoto trip");
    expect(await page.locator(".conversation-title").innerText()).toBe("Kyoto trip");
    expect(await page.evaluate(() => document.activeElement?.closest("li")?.dataset.conversation)).toBe(kyoto);
    expect((await pcConversations()).find((c) => c.id === kyoto)?.title).toBe("Kyoto trip");

    await row(dinner).locator("button.rename").click();
    await page.locator("input.rename-field").fill("Something else");
    await page.keyboard.press("Escape");
    expect(await row(dinner).locator(".title").innerText()).toBe("Plan dinner with Aiko on Saturday");
    expect(await pane().evaluate((el) => el.classList.contains("open"))).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.className)).toContain("rename");
    expect(owner.errors).toEqual([]);
  });

  it("searches the PC's history, marks the matched words as text, and opens the conversation chosen", async () => {
    await row(dinner).locator("button.open-conversation").click();
    await expect.poll(() => idOf(page)).toBe(dinner);
    await openDrawer();
    await page.fill("#conversation-search", "train");
    const hit = page.locator("button.search-hit");
    await expect.poll(() => hit.count()).toBe(1);
    expect(await page.locator("ul.conversation-list").isVisible()).toBe(false);
    expect(await hit.locator(".title").innerText()).toBe("Kyoto trip");
    // The message's "<b>" is text: only the match is an element of its own.
    expect(await hit.locator(".snippet").evaluate((el) => [el.textContent, [...el.children].map((c) => `${c.tagName}:${c.textContent}`)])).toEqual([
      "Book the <b>train</b> to Kyoto for Friday",
      ["MARK:train"],
    ]);
    expect(await page.locator(".search-status").innerText()).toBe("1 match");
    await screenshot(page, "conversations-phone-en-search");
    expect(await axeViolations(page)).toEqual([]);
    await hit.click();
    await expect.poll(() => idOf(page)).toBe(kyoto);
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
    expect(await pane().evaluate((el) => el.classList.contains("open"))).toBe(false);

    await openDrawer();
    await page.fill("#conversation-search", "zeppelin");
    await expect.poll(() => page.locator(".search-status").innerText()).toBe("Nothing found for “zeppelin”.");
    await page.locator("#conversation-search").press("Escape");
    await expect.poll(() => page.locator("button.open-conversation").count()).toBe(2);
    expect(owner.errors).toEqual([]);
  });

  it("opens a conversation's own address after a reload, and says so when the PC does not have one", async () => {
    await page.goto(`${relay.url}/c/${kyoto}`);
    await page.reload();
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts(), { timeout: 15_000 }).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
    expect(await page.locator(".conversation-title").innerText()).toBe("Kyoto trip");

    await page.goto(`${relay.url}/c/00000000-0000-4000-8000-000000000000`);
    await expect
      .poll(() => page.locator(".conversations-notice").innerText(), { timeout: 15_000 })
      .toBe("That conversation is not on your PC. It may have been deleted.");
    // The latest conversation takes its place, with the list in view.
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/c/${dinner}`);
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Plan dinner with Aiko on Saturday"]);
    expect(await pane().evaluate((el) => el.classList.contains("open"))).toBe(true);
    expect(await page.locator("button.open-conversation").count()).toBe(2);
    await screenshot(page, "conversations-phone-en-missing");
    expect(owner.errors).toEqual([]);
  });

  it("opens and closes the phone drawer from the keyboard, with what is behind it inert", async () => {
    await page.goto(`${relay.url}/c/${dinner}`);
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts(), { timeout: 15_000 }).toEqual(["Plan dinner with Aiko on Saturday"]);
    await screenshot(page, "conversations-phone-en-chat");
    await page.focus("button.show-conversations");
    expect(await page.getAttribute("button.show-conversations", "aria-expanded")).toBe("false");
    await page.keyboard.press("Enter");
    await page.waitForSelector("aside.conversations.open");
    expect(await page.getAttribute("button.show-conversations", "aria-expanded")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.getAttribute("aria-current"))).toBe("true");
    expect(
      await page.evaluate(() => [document.querySelector<HTMLElement>("header.top")!.inert, document.querySelector<HTMLElement>(".chat-main")!.inert]),
    ).toEqual([true, true]);
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axeViolations(page), scheme).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: "light" });
    await page.keyboard.press("Escape");
    await page.waitForSelector("aside.conversations:not(.open)", { state: "attached" });
    expect(await page.evaluate(() => document.activeElement?.classList.contains("show-conversations"))).toBe(true);
    expect(await page.evaluate(() => document.querySelector<HTMLElement>("header.top")!.inert)).toBe(false);
    // The backdrop closes it too.
    await page.click("button.show-conversations");
    await page.mouse.click(380, 400);
    await page.waitForSelector("aside.conversations:not(.open)", { state: "attached" });
    expect(owner.errors).toEqual([]);
  });

  it("deletes only after a confirmation, and the PC's history no longer has it", async () => {
    await openDrawer();
    await row(dinner).locator("button.delete").click();
    const dialog = page.locator("dialog.confirm-delete");
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain("“Plan dinner with Aiko on Saturday” and all its messages will be deleted");
    await screenshot(page, "conversations-phone-en-confirm");
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await row(dinner).count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.classList.contains("delete"))).toBe(true);

    await row(dinner).locator("button.delete").click();
    await dialog.locator("button.confirm").click();
    await expect.poll(() => row(dinner).count()).toBe(0);
    // It was the one on screen: the chat starts anew.
    await expect.poll(() => new URL(page.url()).pathname).toBe("/");
    expect(await page.locator(".msg").count()).toBe(0);
    expect((await pcConversations()).map((c) => c.id)).toEqual([kyoto]);
    expect(owner.errors).toEqual([]);
  });

  it("stands beside the chat on a wide screen, in English and Japanese, light and dark", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${relay.url}/c/${kyoto}`);
    await expect.poll(() => page.locator(".msg.you p").allInnerTexts(), { timeout: 15_000 }).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
    expect(await page.locator("ul.conversation-list").isVisible()).toBe(true);
    expect(await page.locator("button.show-conversations").isVisible()).toBe(false);
    await screenshot(page, "conversations-desktop-en-light");
    await page.emulateMedia({ colorScheme: "dark" });
    await screenshot(page, "conversations-desktop-en-dark");
    expect(await axeViolations(page)).toEqual([]);

    const ja = await phone(browser, { locale: "ja-JP", viewport: { width: 1280, height: 800 } });
    try {
      await pairByLink(ja.page, (await offerPairing(relay.url, agent.stateDir)).url, "ノートPC");
      page = ja.page;
      await openJapanese();
      await screenshot(page, "conversations-desktop-ja-light");
      expect(await axeViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: "dark" });
      await screenshot(page, "conversations-desktop-ja-dark");
      expect(await axeViolations(page)).toEqual([]);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.emulateMedia({ colorScheme: "light" });
      await openDrawer();
      await page.fill("#conversation-search", "京都");
      await expect.poll(() => page.locator("button.search-hit .snippet mark").allInnerTexts()).toEqual(["京都"]);
      expect(await page.locator(".search-status").innerText()).toBe("1件見つかりました");
      await screenshot(page, "conversations-phone-ja-search");
      await page.emulateMedia({ colorScheme: "dark" });
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, "conversations-phone-ja-dark");
      // An answer in an older conversation brings it to the top of the list.
      await page.locator("#conversation-search").press("Escape");
      await row(kyoto).locator("button.open-conversation").click();
      await expect.poll(() => page.locator(".msg.you p").allInnerTexts()).toEqual(["Book the <b>train</b> to Kyoto for Friday"]);
      await say("京都のホテルも探してください", "3件見つけました。");
      await openDrawer();
      await expect
        .poll(() => page.locator("button.open-conversation .title").allInnerTexts())
        .toEqual(["Kyoto trip", "来週の京都出張の新幹線を予約してください"]);
      expect(ja.errors).toEqual([]);
    } finally {
      page = owner.page;
      await ja.context.close();
    }
  });

  /** A Japanese conversation on the second device: the list and header read in Japanese. */
  async function openJapanese(): Promise<void> {
    await page.click("button.new-conversation-list");
    await say("来週の京都出張の新幹線を予約してください", "10時の便を予約しました。");
    expect(await page.locator("#conversations-heading").innerText()).toBe("会話");
    await expect
      .poll(() => page.locator("button.open-conversation .title").allInnerTexts())
      .toEqual(["来週の京都出張の新幹線を予約してください", "Kyoto trip"]);
  }
});
