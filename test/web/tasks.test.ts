/**
 * Calls that wait for the owner's approval, as a guest and an owner see them in a real Chromium: the
 * Tasks view (waiting, done with its result, cancelled), links that open a task or the inbox, and the
 * chat following a waiting call in place, for a direct `/run` and for a model's tool call, until the
 * secretary's own words about how it ended arrive. Real relay, real agent (shared profile), a fake
 * OpenAI-compatible model.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startFakeOpenAI, text, toolCall, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

describe("tasks in the web client", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let guest: TestPage;
  const root = mkdtempSync(join(tmpdir(), "ora-web-tasks-"));

  const write = (path: string) => `/run files.write ${JSON.stringify({ root: 0, path, content: `written as ${path}` })}`;
  const say = async (p: TestPage, message: string) => {
    const before = await p.page.locator(".msg.ora").count();
    await p.page.fill("#message", message);
    await p.page.keyboard.press("Enter");
    const bubble = p.page.locator(".msg.ora").nth(before);
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    return bubble;
  };
  /** The owner decides the one approval waiting in the inbox. */
  const decide = async (verdict: "approve" | "deny") => {
    await expect.poll(() => owner.page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await owner.page.click("#tab-approvals");
    await owner.page.locator(`.approval button.${verdict}`).click();
    await expect.poll(() => owner.page.locator(".badge").isHidden(), { timeout: 5000 }).toBe(true);
  };
  const task = (page: Page, tool: string, path: string) => page.locator(".task", { hasText: tool }).filter({ hasText: path });
  /** Both sizes the app is made for. */
  const shoot = async (page: Page, name: string) => {
    await screenshot(page, name);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `${name}-desktop`);
    await page.setViewportSize({ width: 390, height: 844 });
  };

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    agent = await startAgent(relay.url, newStateDir(), {
      ORA_PROFILE: "shared",
      ORA_SHARED_GUEST_ALLOWED_TOOLS: "time.now,files.write",
      ORA_TOOL_ROOTS: root,
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: "test-key",
    });
    browser = await launchChromium();
    owner = await phone(browser);
    guest = await phone(browser);
    await pairByLink(owner.page, (await offerPairing(relay.url, agent.stateDir, ["--yes", "--role", "owner"])).url, "Owner phone");
    await pairByLink(guest.page, (await offerPairing(relay.url, agent.stateDir, ["--yes", "--role", "guest"])).url, "Guest tablet");
  });
  afterAll(async () => {
    await owner?.context.close();
    await guest?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });

  it("shows a guest's waiting call in its Tasks view, and its result there once the owner approves it", async () => {
    await say(guest, write("a.txt"));
    await guest.page.click("#tab-tasks");
    const waiting = task(guest.page, "files.write", "").first();
    await expect.poll(() => waiting.innerText(), { timeout: 10_000 }).toMatch(/files\.write HIGH Waiting for approval/);
    expect(await waiting.innerText()).toMatch(/Asked (just now|\d+ seconds ago) by this device · expires in (\d+ minutes|1 hour)/);
    expect(await guest.page.locator(".open-tasks .task button").allInnerTexts()).toEqual(["Cancel"]);
    await shoot(guest.page, "12-tasks-waiting");

    await owner.page.click("#tab-tasks");
    const ownersView = owner.page.locator(".open-tasks .task").first();
    await expect.poll(() => ownersView.innerText()).toMatch(/by Guest tablet/);
    await shoot(owner.page, "12-owner-tasks");
    await ownersView.locator("button.decide").click();
    expect(await owner.page.getAttribute("#tab-approvals", "aria-selected")).toBe("true");
    await decide("approve");

    const done = guest.page.locator(".finished-tasks .task.state-done");
    await expect.poll(() => done.innerText(), { timeout: 10_000 }).toMatch(/files\.write HIGH Done/);
    expect(await done.locator(".result").innerText()).toContain("a.txt");
    expect(await guest.page.locator(".task-list [role=status]").first().innerText()).toMatch(/files\.write: done/);
    expect(await guest.page.locator(".open-tasks").innerText()).toMatch(/Nothing is waiting or running/);
    await shoot(guest.page, "14-tasks-done");
  });

  it("cancels a waiting task: the call never runs, its approval leaves the inbox, and the chat says so", async () => {
    await guest.page.click("#tab-chat");
    const bubble = await say(guest, write("b.txt"));
    await expect.poll(() => owner.page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await guest.page.click("#tab-tasks");
    await task(guest.page, "files.write", "").locator("button.cancel").click();
    const cancelled = guest.page.locator(".finished-tasks .task.state-cancelled");
    await expect.poll(() => cancelled.innerText(), { timeout: 10_000 }).toMatch(/Cancelled[\s\S]*Cancelled by its requester\./);
    await expect.poll(() => owner.page.locator(".badge").isHidden(), { timeout: 5000 }).toBe(true);
    await expect.poll(() => bubble.locator(".task-step").innerText(), { timeout: 5000 }).toBe("files.write cancelled");
    expect(existsSync(join(root, "b.txt"))).toBe(false);
  });

  it("shows the owner's denial in place in the guest's chat", async () => {
    await guest.page.click("#tab-chat");
    const bubble = await say(guest, write("d.txt"));
    await decide("deny");
    await expect.poll(() => bubble.locator(".task-step").innerText(), { timeout: 10_000 }).toBe("files.write denied by the owner");
    expect(await bubble.locator(".body").innerText()).toBe("The owner denied files.write.");
    expect(existsSync(join(root, "d.txt"))).toBe(false);
  });

  it("opens a task from its link, highlighted, and the approvals inbox from #approvals", async () => {
    const id = await guest.page.locator(".finished-tasks .task.state-done").getAttribute("data-id");
    await guest.page.goto("about:blank");
    await guest.page.goto(`${relay.url}/#tasks/${id}`);
    const highlighted = guest.page.locator(".task.highlight");
    await expect.poll(() => highlighted.getAttribute("data-id"), { timeout: 15_000 }).toBe(id);
    expect(await guest.page.getAttribute("#tab-tasks", "aria-selected")).toBe("true");
    expect(await highlighted.getAttribute("aria-current")).toBe("true");
    // A guest decides nothing: the inbox's link shows its tasks.
    await guest.page.goto(`${relay.url}/#approvals`);
    await expect.poll(() => guest.page.getAttribute("#tab-tasks", "aria-selected")).toBe("true");

    await owner.page.click("#tab-chat");
    await owner.page.goto("about:blank");
    await owner.page.goto(`${relay.url}/#approvals`);
    await expect.poll(() => owner.page.getAttribute("#tab-approvals", "aria-selected"), { timeout: 15_000 }).toBe("true");
    await owner.page.waitForSelector(".state.online", { timeout: 15_000 });
  });

  it("follows a model's waiting tool call in place, then shows what the secretary says once it ran", async () => {
    fake.script(
      toolCall("files_write", [JSON.stringify({ root: 0, path: "c.txt", content: "from the model" })]),
      text("I asked the owner to approve saving c.txt; you will be told."),
      text("The owner approved it: **c.txt** is saved."),
    );
    await guest.page.click("#tab-chat");
    await guest.page.waitForSelector(".state.online", { timeout: 15_000 });
    const bubble = await say(guest, "Please save c.txt for me");
    const step = bubble.locator(".task-step");
    expect(await step.innerText()).toBe("files.write HIGH · waiting for approval");
    expect(await bubble.locator(".body").innerText()).toContain("I asked the owner to approve saving c.txt");
    await shoot(guest.page, "13-chat-waiting-step");

    await decide("approve");
    await expect.poll(() => step.innerText(), { timeout: 10_000 }).toBe("files.write done");
    const later = guest.page.locator(".msg.ora.later");
    await expect.poll(() => later.count(), { timeout: 15_000 }).toBe(1);
    expect(await later.locator("strong").innerText()).toBe("c.txt");
    expect(existsSync(join(root, "c.txt"))).toBe(true);
    await shoot(guest.page, "15-chat-task-ended");
  });

  it("logged no console errors on any page", () => {
    expect(owner.errors).toEqual([]);
    expect(guest.errors).toEqual([]);
  });
});
