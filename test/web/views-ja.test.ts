/**
 * Tasks, reminders, standing rules, lockdown and passkeys as a Japanese reader sees them (a phone set
 * to ja-JP): every word the catalogues cover is Japanese, axe finds nothing serious in the light or
 * the dark theme, and each view is photographed at phone and desktop size in both themes. What the PC
 * or a person wrote (tool names, device names, reminder texts, the unlock command) may stay as it is.
 * Real relay, real agent (shared profile), a guest device asking for writes, one paired page.
 */
import { OraClient } from "@ora/protocol";
import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Browser, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, openPaired, phone, screenshot, type TestPage } from "./browser.js";

describe("the other views in Japanese", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let page: Page;
  let guest: OraClient;
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-views-ja-")));
  mkdirSync(join(root, "notes"));
  const stateDir = newStateDir();

  const write = (path: string) => guest.request("tools.call", { name: "files.write", args: { root: 0, path, content: path } });

  /**
   * Latin words left in a view's visible text once what may stay is taken out: code (tool names,
   * commands), a tool's result, and the names and paths given here. The catalogue should have covered anything else.
   */
  const english = async (selector: string, keep: string[] = []) => {
    const texts = await page.locator(selector).evaluateAll((elements) =>
      elements.map((element) => {
        const copy = element.cloneNode(true) as HTMLElement;
        for (const code of copy.querySelectorAll("code, pre, [hidden]")) code.remove();
        return copy.textContent ?? "";
      }),
    );
    let text = texts.join("\n");
    for (const allowed of [...keep, "files.write", "ora-agent unlock", "ORA", "PC", "CRITICAL"]) text = text.split(allowed).join(" ");
    return text.match(/[A-Za-z]{2,}/g) ?? [];
  };

  /** Light and dark: axe finds nothing serious, and a photograph at phone and desktop size of each. */
  const look = async (name: string) => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.evaluate(() => scrollTo(0, 0));
      expect(await axeViolations(page), `${name} ${scheme}`).toEqual([]);
      await screenshot(page, `ja-${name}-${scheme}`);
      await page.setViewportSize({ width: 1280, height: 800 });
      await screenshot(page, `ja-${name}-${scheme}-desktop`);
      await page.setViewportSize({ width: 390, height: 844 });
    }
    await page.emulateMedia({ colorScheme: "light" });
  };

  beforeAll(async () => {
    relay = await startRelay();
    // WebAuthn refuses an IP address as the relying party: the page opens the relay as localhost.
    const origin = relay.url.replace("127.0.0.1", "localhost");
    agent = await startAgent(relay.url, stateDir, { ORA_PROFILE: "shared", ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write", ORA_TOOL_ROOTS: root });
    const ownerId = await provisionDevice(relay, agent, "オーナーのスマホ", "owner");
    guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "来客用タブレット", "guest") });
    browser = await launchChromium();
    owner = await phone(browser, { locale: "ja-JP", timezoneId: "Asia/Tokyo" });
    page = owner.page;
    const cdp: CDPSession = await owner.context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await openPaired(page, { ...ownerId, relay: origin, node: agent.node().nodeId, name: "オーナーのスマホ", role: "owner" }, "/#tasks");
  });
  afterAll(async () => {
    guest?.close();
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("says what Tasks is for while there is none, in Japanese", async () => {
    await expect.poll(() => page.locator(".task-list").innerText()).toContain("タスクはまだありません。");
    expect(await page.locator(".task-list h3").first().isHidden()).toBe(true);
    expect(await english(".task-list")).toEqual([]);
    await look("tasks-empty");
  });

  it("shows waiting tasks with Japanese tags and times, and the standing rule made by 'always allow'", async () => {
    expect(await write("notes/a.txt")).toMatchObject({ status: "waiting" });
    expect(await write("b.txt")).toMatchObject({ status: "waiting" });
    const open = page.locator(".open-tasks .task");
    await expect.poll(() => open.count(), { timeout: 10_000 }).toBe(2);
    expect(await open.first().locator(".task-head").innerText()).toBe("files.write 高リスク 承認待ち");
    expect(await open.first().locator(".task-meta").innerText()).toMatch(/^来客用タブレットからの依頼 · (たった今|\d+ 秒前) · 期限: (\d+ 分後|1 時間後)$/);
    expect(await open.first().locator("button").allInnerTexts()).toEqual(["承認画面で判断する", "取り消す"]);

    await page.click("#tab-approvals");
    const card = page.locator(".approval", { hasText: "notes/a.txt" });
    await card.locator("details.always summary").click();
    expect(
      await card
        .locator(".always-scope")
        .evaluate((p) => [...p.childNodes].map((n) => (n instanceof HTMLSelectElement ? `[${n.selectedOptions[0]?.text}]` : n.textContent)).join("")),
    ).toBe("来客用タブレットが files.write をフォルダー notes/ の中で、確認なしで実行できるようにします。期間: [7日間]");
    await card.locator("button.approve-always").click();
    const rule = page.locator(".rules .rule");
    await expect.poll(() => rule.count(), { timeout: 10_000 }).toBe(1);
    expect(await rule.innerText()).toMatch(
      /^files\.write ora-views-ja-\w+\/notes\/ の中\n+来客用タブレット（ゲスト） · \d+月\d+日 \d+:\d\dまで 未使用\n+取り消す$/,
    );
    expect(await english(".rules-card", [`${basename(root)}/notes/`])).toEqual([]);
    await page.locator(".rules-card").scrollIntoViewIfNeeded();
    await screenshot(page, "ja-rules");

    await page.click("#tab-tasks");
    await expect.poll(() => page.locator(".finished-tasks .task.state-done").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator(".finished-tasks .task-state").innerText()).toBe("完了");
    expect(await english(".task-list")).toEqual([]);
    await look("tasks");
  });

  it("sets reminders from Japanese words, lists them at Japanese times, and shows one delivered", async () => {
    await page.click("#tab-reminders");
    await expect
      .poll(() => page.locator(".reminders.upcoming").innerText())
      .toBe("リマインダーはまだありません。上の欄で設定するか、チャットで /remind 明日9時 銀行に電話 のように入力してください。");
    expect(await page.getAttribute("#remind-when", "placeholder")).toBe("明日9時 · 20分後");
    const set = async (when: string, what: string) => {
      await page.fill("#remind-when", when);
      await page.fill("#remind-what", what);
      await page.click(".remind-form button[type=submit]");
      await expect.poll(() => page.locator(".reminder-list > .status").innerText()).toContain(what);
    };
    await set("明日9時", "銀行に電話");
    expect(await page.locator(".reminder-list > .status").innerText()).toMatch(/^リマインダーを設定しました: 銀行に電話（\d+月\d+日\(.\) 9:00）$/);
    await set("毎週月曜8時", "朝会");
    await set("2秒後", "ストレッチ");
    const delivered = page.locator(".reminders.past .reminder.run-delivered");
    await expect.poll(() => delivered.count(), { timeout: 20_000 }).toBe(1);
    expect(await delivered.locator(".reminder-when").innerText()).toMatch(/^通知済み · \d+月\d+日\(.\) \d+:\d\d$/);
    expect(await page.locator(".reminders.upcoming .reminder").innerText()).toMatch(/^銀行に電話\n+\d+月\d+日\(.\) 9:00 · (明日|\d+ 時間後)\n+取り消す$/);
    expect(await page.locator(".reminders.recurring .reminder-when").innerText()).toMatch(
      /^毎週月曜 8:00 · 次回 \d+月\d+日\(月\) 8:00 · (明日|\d+ 日後|\d+ 時間後|\d+ 分後)$/,
    );
    expect(await english(".reminder-list")).toEqual([]);
    await look("reminders");
  });

  it("adds a passkey and locks the PC down from Settings, all in Japanese, until the PC unlocks it", async () => {
    await page.click("#tab-settings");
    const passkeys = page.locator(".passkeys-card");
    await expect.poll(() => passkeys.locator(".empty").innerText()).toBe("この端末にはまだパスキーがありません。");
    await passkeys.locator("button.add-passkey").click();
    await expect.poll(() => passkeys.locator(".passkey").count()).toBe(1);
    expect(await passkeys.locator(".passkey").innerText()).toMatch(/^オーナーのスマホ · \d+月\d+日に追加 · 未使用\n削除$/);
    expect(await english(".passkeys-card")).toEqual([]);

    await page.click(".lockdown-start");
    expect(await page.evaluate(() => document.activeElement?.className)).toContain("lockdown-cancel");
    expect(await english(".lockdown")).toEqual([]);
    await look("lockdown-confirm");
    await page.click(".lockdown-confirm");
    await expect.poll(() => page.locator(".lockdown-banner").isVisible()).toBe(true);
    await expect
      .poll(() => page.locator(".lockdown .status").innerText())
      .toMatch(/^ロックダウンしました。承認待ちのタスク\d+件を取り消し、ほかの接続1件を切断しました。$/);
    expect(await page.locator(".lockdown-banner").innerText()).toMatch(/^オーナーのスマホがPCをロックダウンしました（\d+月\d+日 \d+:\d\d）。/);
    expect(await english(".lockdown-banner, .lockdown, .passkeys-card")).toEqual([]);
    await look("lockdown");

    await page.click("#tab-tasks");
    await expect.poll(() => page.locator(".finished-tasks .task.state-cancelled .why").allInnerTexts()).toEqual(["取り消されました。"]);
    expect(await english(".task-list")).toEqual([]);
    await look("tasks-finished");

    expect((await runAgentCommand(["unlock", "--state-dir", stateDir])).code).toBe(0);
    await expect.poll(() => page.locator(".lockdown-banner").isHidden()).toBe(true);
  });

  it("logged no console errors", () => {
    expect(owner.errors).toEqual([]);
  });
});
