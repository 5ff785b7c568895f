/**
 * The chat as a person uses it on a phone and a desktop, in English and Japanese: what it offers
 * before the first message, the composer's keys, results by kind, /tools by risk, direct commands'
 * answers from the catalogue, a waiting call's step changing in place until it is done, and the
 * log following new messages unless the reader scrolled up. Real relay, real agent (no model), real
 * Chromium; the fetched-page view, which needs the public web, is checked on the module itself.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, openPaired, phone, screenshot, type TestPage } from "./browser.js";

describe("the chat view", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let en: TestPage;
  let ja: TestPage;
  const root = mkdtempSync(join(tmpdir(), "ora-chat-view-"));

  const messages = (page: Page) => page.locator(".msg");
  const say = async (page: Page, text: string) => {
    const before = await page.locator(".msg.ora").count();
    await page.fill("#message", text);
    await page.keyboard.press("Enter");
    const bubble = page.locator(".msg.ora").nth(before);
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    return bubble;
  };
  const atBottom = (page: Page) => page.evaluate(() => Math.abs(document.documentElement.scrollHeight - (scrollY + innerHeight)) < 4);
  /** Both sizes the app is made for. */
  const shoot = async (page: Page, name: string) => {
    await screenshot(page, name);
    await page.screenshot({ path: `test-results/web/${name}-screen.png` });
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `${name}-desktop`);
    await page.setViewportSize({ width: 390, height: 844 });
  };

  beforeAll(async () => {
    mkdirSync(join(root, "letters"));
    writeFileSync(join(root, "plan.txt"), "Buy bread.\nCall the bank.\n");
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    browser = await launchChromium();
    const device = async (name: string) => ({
      ...(await provisionDevice(relay, agent, name, "owner")),
      relay: relay.url,
      node: agent.node().nodeId,
      name,
      role: "owner" as const,
    });
    en = await phone(browser);
    ja = await phone(browser, { locale: "ja-JP", colorScheme: "dark" });
    await openPaired(en.page, await device("owner-phone"));
    await openPaired(ja.page, await device("owner-ja"));
  });
  afterAll(async () => {
    await en?.context.close();
    await ja?.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("shows what ORA can do before the first message, and an example tapped fills the composer", async () => {
    const empty = en.page.locator(".chat-empty");
    await empty.waitFor();
    expect(await empty.locator("h2").innerText()).toBe("What ORA can do here");
    expect(await empty.locator("button.example code").allInnerTexts()).toEqual([
      "/help",
      "/tools",
      "/remind tomorrow 9am call the bank",
      '/run notes.add {"text":"buy milk"}',
    ]);
    expect(await en.page.locator("button.new-conversation").innerText()).toBe("New conversation");
    expect(await axeViolations(en.page)).toEqual([]);
    await shoot(en.page, "30-chat-empty");
    await empty.locator("button.example", { hasText: "/remind" }).click();
    expect(await en.page.inputValue("#message")).toBe("/remind tomorrow 9am call the bank");
    expect(await en.page.evaluate(() => document.activeElement?.id)).toBe("message");
    await en.page.fill("#message", "");
  });

  it("sends on Enter, breaks the line on Shift+Enter, and never sends from an IME composition", async () => {
    const box = en.page.locator("#message");
    await box.click();
    await en.page.keyboard.type("line one");
    const oneLine = await box.evaluate((el) => el.clientHeight);
    await en.page.keyboard.press("Shift+Enter");
    await en.page.keyboard.type("line two");
    expect(await box.inputValue()).toBe("line one\nline two");
    expect(await box.evaluate((el) => el.clientHeight)).toBeGreaterThan(oneLine);
    // The Enter that confirms a Japanese conversion arrives with isComposing set.
    await box.evaluate((el) => el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", isComposing: true, bubbles: true, cancelable: true })));
    expect(await messages(en.page).count()).toBe(0);
    await en.page.keyboard.press("Enter");
    const bubble = en.page.locator(".msg.ora").first();
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    expect(await en.page.locator(".msg.you p").innerText()).toBe("line one\nline two");
    expect(await box.inputValue()).toBe("");
    expect(await box.evaluate((el) => el.clientHeight)).toBe(oneLine);
    expect(await en.page.locator(".chat-empty").isHidden()).toBe(true);
    // The no-model notice, from the catalogue, with the commands as a list.
    const body = bubble.locator(".body");
    expect(await body.innerText()).toMatch(/^No language model is configured on this PC/);
    expect(await body.locator("li code").first().innerText()).toBe("/tools");
    expect(await bubble.locator(".at").innerText()).toMatch(/^\d{1,2}:\d\d( [AP]M)?$/);
    // Who said it is there for screen readers, not on every bubble for the eye.
    expect(await en.page.locator(".msg.you .who").innerText()).toBe("You said:");
    expect((await en.page.locator(".msg.you .who").boundingBox())?.width).toBeLessThanOrEqual(1);
  });

  it("lists /tools grouped by risk, lowest first, and marks the ones that need approval", async () => {
    const bubble = await say(en.page, "/tools");
    const groups = bubble.locator(".tool-group");
    expect(await groups.locator("h3").allInnerTexts()).toEqual(["Low risk", "Medium risk", "High risk", "Critical risk"]);
    const critical = bubble.locator(".tool-group[data-risk=CRITICAL] li[data-tool='run.program']");
    expect(await critical.locator(".needs-approval").innerText()).toBe("needs approval");
    expect(await bubble.locator(".tool-group[data-risk=LOW] li[data-tool='notes.add'] .needs-approval").count()).toBe(0);
    expect(await bubble.locator(".tool-group[data-risk=HIGH] li[data-tool='files.write'] .needs-approval").count()).toBe(1);
    await shoot(en.page, "31-chat-tools");
  });

  it("shows results by kind: notes and folders as lists, a file as text, other data as JSON, an error as a sentence", async () => {
    expect(await (await say(en.page, '/run notes.add {"text":"call the bank"}')).locator(".body").innerText()).toBe("Note saved (#1).");
    await say(en.page, '/run notes.add {"text":"buy *bread*"}');
    const notes = (await say(en.page, "/run notes.list")).locator(".notes-result");
    expect(await notes.locator(".result-head").innerText()).toBe("2 notes");
    expect(await notes.locator("li .item-text").allInnerTexts()).toEqual(["buy *bread*", "call the bank"]);

    const folder = (await say(en.page, '/run files.list {"root":0,"path":""}')).locator(".folder-result");
    expect(await folder.locator("li .item-text").allInnerTexts()).toEqual(["letters/", "plan.txt"]);
    expect(await folder.locator("li.entry-file .item-meta").innerText()).toBe("26 B");

    const file = (await say(en.page, '/run files.read {"root":0,"path":"plan.txt"}')).locator(".file-result");
    expect(await file.locator("pre.file-text").innerText()).toBe("Buy bread.\nCall the bank.\n");

    const json = (await say(en.page, "/run time.now")).locator("details.json-result");
    expect(await json.getAttribute("open")).not.toBeNull();
    expect(await json.locator(".j-key").allInnerTexts()).toContain('"iso"');
    expect(await json.locator(".j-num").count()).toBeGreaterThan(0);

    const missing = await say(en.page, '/run files.read {"root":0,"path":"nowhere.txt"}');
    expect(await missing.locator(".body .error").innerText()).toMatch(/^Not found\. It may have been removed or renamed, or it has expired\./);
    expect(await axeViolations(en.page)).toEqual([]);
    await shoot(en.page, "32-chat-results");
  });

  it("renders a fetched page as its title and an excerpt, and long JSON folded", async () => {
    const bundle = await build({
      entryPoints: ["web/src/chat/results.ts"],
      bundle: true,
      write: false,
      format: "iife",
      globalName: "chatResults",
      logLevel: "silent",
    });
    await en.page.evaluate(`${bundle.outputFiles[0]!.text};window.chatResults = chatResults;`);
    const shown = await en.page.evaluate(() => {
      const { resultView, jsonView } = (window as unknown as { chatResults: { resultView(v: unknown): Node; jsonView(v: unknown): HTMLElement } }).chatResults;
      const page = resultView({
        url: "https://example.com/",
        status: 200,
        contentType: "text/html; charset=utf-8",
        text: "<html><head><title>Example Domain</title><script>window.__ran = 1</script></head><body><h1>Example</h1><p>This domain is for use in <b>examples</b>.</p><img src=x onerror='window.__ran = 2'></body></html>",
        bytes: 200,
        truncated: false,
      }) as HTMLElement;
      const folded = jsonView(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i])));
      document.body.appendChild(page);
      document.body.appendChild(folded);
      const result = {
        title: page.querySelector(".page-title")?.textContent,
        link: page.querySelector(".page-title a")?.getAttribute("href"),
        excerpt: page.querySelector(".page-excerpt")?.textContent,
        ran: (window as { __ran?: number }).__ran,
        images: page.querySelectorAll("img").length,
        folded: folded.hasAttribute("open"),
        summary: folded.querySelector("summary")?.textContent,
      };
      page.remove();
      folded.remove();
      return result;
    });
    expect(shown).toEqual({
      title: "Example Domain",
      link: "https://example.com/",
      excerpt: "Example This domain is for use in examples.",
      ran: undefined,
      images: 0,
      folded: false,
      summary: "Details (JSON, 32 lines)",
    });
  });

  it("follows a waiting call in place — waiting, then done with its result — and drops the waiting words", async () => {
    const bubble = await say(en.page, `/run files.write ${JSON.stringify({ root: 0, path: "a.txt", content: "hello" })}`);
    const step = bubble.locator(".task-step");
    expect(await step.innerText()).toBe("files.write HIGH · waiting for approval");
    const body = await bubble.locator(".body").innerText();
    expect(body).toMatch(
      /^files\.write \(HIGH\) waits for the owner's approval as task \S+\. It runs once approved \(until .+\), and you'll be told how it ends\.$/,
    );
    // The expiry (an hour after the request, the default) in this device's words and clock, as
    // formatDateTime says it: the day and AM/PM of an hour from now, or of a moment before that.
    const until = /until (.+)\)/.exec(body)![1]!;
    const expected = await en.page.evaluate(() =>
      [Date.now() + 3_600_000 - 60_000, Date.now() + 3_600_000].map((ms) =>
        new Intl.DateTimeFormat("en", { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" }).format(ms).replace(/\d{1,2}:\d\d/, ""),
      ),
    );
    expect(expected).toContain(until.replace(/\d{1,2}:\d\d/, ""));
    await step.evaluate((el) => (el.dataset.mark = "same"));
    await shoot(en.page, "33-chat-waiting");

    const [approval] = JSON.parse((await runAgentCommand(["approvals", "--json", "--state-dir", agent.stateDir])).stdout) as { id: string }[];
    expect(await runAgentCommand(["approve", approval!.id, "--state-dir", agent.stateDir])).toMatchObject({ code: 0 });
    await expect.poll(() => step.innerText(), { timeout: 10_000 }).toBe("files.write done");
    expect(await step.getAttribute("data-mark")).toBe("same");
    await expect.poll(() => bubble.locator(".body").innerText()).toBe("Saved a new file: a.txt · 5 B");
    expect(await bubble.innerText()).not.toMatch(/waiting|approval/i);
    await shoot(en.page, "34-chat-approved");
  });

  it("follows new messages at the bottom, and once scrolled up shows a pill that jumps down", async () => {
    for (let i = 0; i < 3; i++) {
      await say(en.page, "/help");
      expect(await atBottom(en.page)).toBe(true);
    }
    const pill = en.page.locator(".new-messages");
    expect(await pill.isHidden()).toBe(true);
    const bubble = await say(en.page, `/run files.write ${JSON.stringify({ root: 0, path: "later.txt", content: "later" })}`);
    expect(await atBottom(en.page)).toBe(true);
    // The reader scrolls up to read; meanwhile the owner approves and the answer below changes.
    await en.page.evaluate(() => scrollTo(0, 0));
    const [approval] = JSON.parse((await runAgentCommand(["approvals", "--json", "--state-dir", agent.stateDir])).stdout) as { id: string }[];
    await runAgentCommand(["approve", approval!.id, "--state-dir", agent.stateDir]);
    await expect.poll(() => bubble.locator(".task-step").innerText(), { timeout: 10_000 }).toBe("files.write done");
    await pill.waitFor();
    expect(await en.page.evaluate(() => scrollY)).toBe(0);
    expect(await pill.innerText()).toMatch(/^New messages/);
    expect(await axeViolations(en.page)).toEqual([]);
    await en.page.screenshot({ path: "test-results/web/35-chat-new-messages-screen.png" });
    await pill.click();
    await expect.poll(() => atBottom(en.page)).toBe(true);
    expect(await pill.isHidden()).toBe(true);
    // Sending from up the page brings the reader down to their message.
    await en.page.evaluate(() => scrollTo(0, 0));
    await say(en.page, "/help");
    expect(await atBottom(en.page)).toBe(true);
    expect(await pill.isHidden()).toBe(true);
  });

  it("speaks Japanese with a ja-JP browser: the empty state, the help, /tools and a waiting call denied in place", async () => {
    const page = ja.page;
    await page.locator(".chat-empty").waitFor();
    expect(await page.locator(".chat-empty h2").innerText()).toBe("ORA にできること");
    expect(await page.getAttribute("#message", "placeholder")).toBe("ORA にメッセージ");
    expect(await page.locator(".composer button[type=submit]").innerText()).toBe("送信");
    expect(await axeViolations(page)).toEqual([]);
    await shoot(page, "36-chat-empty-ja-dark");

    const help = await say(page, "/help");
    expect(await help.locator(".body strong").first().innerText()).toBe("コマンド");
    expect(await help.locator(".body li").first().innerText()).toBe("/tools — ここで使えるツールとリスクの一覧");
    const waiting = await say(page, `/run files.write ${JSON.stringify({ root: 0, path: "b.txt", content: "こんにちは" })}`);
    expect(await waiting.locator(".task-step").innerText()).toBe("files.write 高リスク・承認待ち");
    expect(await waiting.locator(".body").innerText()).toMatch(
      /^files\.write（高リスク）はオーナーの承認待ちです（タスク \S+）。\d+月\d+日 \d+:\d\d までに承認されると実行され、結果をお知らせします。$/,
    );
    const tools = await say(page, "/tools");
    expect(await tools.locator(".tool-group h3").allInnerTexts()).toEqual(["低リスク", "中リスク", "高リスク", "重大リスク"]);
    expect(await axeViolations(page)).toEqual([]);
    await shoot(page, "37-chat-ja-dark");
    // The light theme too.
    await page.emulateMedia({ colorScheme: "light" });
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: "dark" });
    const [approval] = JSON.parse((await runAgentCommand(["approvals", "--json", "--state-dir", agent.stateDir])).stdout) as { id: string }[];
    await runAgentCommand(["deny", approval!.id, "--state-dir", agent.stateDir]);
    await expect.poll(() => waiting.locator(".task-step").innerText(), { timeout: 10_000 }).toBe("files.write オーナーが却下しました");
    expect(await waiting.locator(".body").innerText()).toBe("オーナーが files.write を却下しました。");
  });

  it("logged no console errors", () => {
    expect(en.errors).toEqual([]);
    expect(ja.errors).toEqual([]);
  });
});
