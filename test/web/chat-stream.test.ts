/**
 * The web chat with a language model: the answer streams in as it is written (rendered as
 * Markdown), and Stop cancels a request in flight. The model is a fake OpenAI-compatible server on
 * 127.0.0.1 speaking the real streaming format.
 */
import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startFakeOpenAI, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

describe("the web chat with a model", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let streamedShape: string[] = [];
  /** A bubble's parts, by class. */
  const shape = (bubble: Locator) => bubble.evaluate((el) => [el.className, ...[...el.children].map((child) => `${child.tagName}.${child.className}`)]);

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    agent = await startAgent(relay.url, newStateDir(), { OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "test-key" });
    browser = await launchChromium();
    owner = await phone(browser);
    await pairByLink(owner.page, (await offerPairing(relay.url, agent.stateDir)).url, "Owner phone");
  });
  afterAll(async () => {
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });

  it("shows the answer while it streams and renders its Markdown when done", async () => {
    fake.script({ stream: [{ text: "Your day: " }, { text: "**three** meetings", delayMs: 600 }, { text: ", one call.", delayMs: 600 }], stop: "end" });
    await owner.page.fill("#message", "What is my day like?");
    await owner.page.keyboard.press("Enter");
    const bubble = owner.page.locator(".msg.ora").last();
    await expect.poll(() => bubble.innerText(), { timeout: 10_000 }).toContain("Your day:");
    expect(await bubble.getAttribute("aria-busy")).toBe("true"); // still streaming
    // One button: Send is Stop while the answer streams.
    const button = owner.page.locator(".composer button[type=submit]");
    expect(await button.innerText()).toBe("Stop");
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 10_000 }).toBeNull();
    expect(await bubble.locator("strong").innerText()).toBe("three");
    expect(await bubble.innerText()).toContain("three meetings, one call.");
    expect(await button.innerText()).toBe("Send");
    streamedShape = await shape(bubble);
    await screenshot(owner.page, "11-chat-streamed");
    expect(owner.errors).toEqual([]);
  });

  it("picks up the latest conversation from the PC after a reload, looking the same, and New starts another", async () => {
    await owner.page.reload();
    const mine = owner.page.locator(".msg.you p");
    await expect.poll(() => mine.allInnerTexts(), { timeout: 10_000 }).toContain("What is my day like?");
    expect(await owner.page.locator(".msg.ora strong").first().innerText()).toBe("three");
    // A message from the history looks as it did when it streamed.
    expect(await shape(owner.page.locator(".msg.ora").first())).toEqual(streamedShape);
    await owner.page.click("button.new-conversation");
    expect(await owner.page.locator(".msg").count()).toBe(0);
    expect(owner.errors).toEqual([]);
  });

  it("stops an answer in flight when Stop is pressed", async () => {
    fake.script({ stream: [{ text: "Let me think" }], then: "hang" });
    await owner.page.fill("#message", "Something slow");
    await owner.page.keyboard.press("Enter");
    const bubble = owner.page.locator(".msg.ora").last();
    await expect.poll(() => bubble.innerText(), { timeout: 10_000 }).toContain("Let me think");
    await owner.page.click("button.stop");
    await expect.poll(() => bubble.innerText(), { timeout: 10_000 }).toContain("Stopped.");
    expect(await owner.page.locator("button.stop").isHidden()).toBe(true);
    expect(owner.errors).toEqual([]);
  });
});
