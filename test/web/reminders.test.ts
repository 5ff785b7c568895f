/**
 * Reminders in the web client, in a real Chromium whose clock reads Paris time while the PC's reads
 * Tokyo's: the Reminders view (empty, set from its form, recurring, delivered, cancelled, words it
 * cannot read) and the chat's card for a `/remind`, which the view then shows delivered as its push
 * arrives. Real relay, real agent.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { startFakeOpenAI, text, toolCall, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { launchChromium, offerPairing, pairByLink, phone, screenshot, type TestPage } from "./browser.js";

const DEVICE_ZONE = "Europe/Paris";
const PC_ZONE = "Asia/Tokyo";
const HOUR = 3600_000;

/** "Mon 30 Nov 09:00" as someone in Paris reads an instant (the year only when it is not this one); written apart from the app's code. */
function parisTime(at: number): string {
  const part = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat("en-GB", { timeZone: DEVICE_ZONE, ...options }).format(at);
  const year = part({ year: "numeric" });
  const time = part({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${part({ weekday: "short" })} ${part({ day: "2-digit" })} ${part({ month: "short" })}${year === String(new Date().getFullYear()) ? "" : ` ${year}`} ${time}`;
}
/** "Mon 30 Nov", "Fri 01 Jan 2027", and with the time, "Mon 30 Nov 09:00", as regular expression sources. */
const DAY = String.raw`(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d [A-Z][a-z]{2}( \d{4})?`;
const EXACT = String.raw`${DAY} \d\d:\d\d`;

describe("reminders in the web client", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let owner: TestPage;
  let page: Page;

  const upcoming = () => page.locator(".reminders.upcoming");
  const recurring = () => page.locator(".reminders.recurring");
  const past = () => page.locator(".reminders.past");
  const status = () => page.locator(".reminder-list > .status");
  /** Both sizes the app is made for, from the top (a full-page shot draws the sticky header where it was scrolled to). */
  const shoot = async (name: string) => {
    await page.evaluate(() => scrollTo(0, 0));
    await screenshot(page, name);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `${name}-desktop`);
    await page.setViewportSize({ width: 390, height: 844 });
  };
  /** Sets a reminder with the view's form and waits for the PC's answer. */
  const setReminder = async (when: string, what: string) => {
    await page.fill("#remind-when", when);
    await page.fill("#remind-what", what);
    await page.click(".remind-form button[type=submit]");
    await expect.poll(() => page.locator(".remind-form button[type=submit]").isDisabled()).toBe(false);
  };
  const say = async (message: string) => {
    const before = await page.locator(".msg.ora").count();
    await page.fill("#message", message);
    await page.keyboard.press("Enter");
    const bubble = page.locator(".msg.ora").nth(before);
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    return bubble;
  };

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    agent = await startAgent(relay.url, newStateDir(), { ORA_TIME_ZONE: PC_ZONE, OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "test-key" });
    browser = await launchChromium();
    owner = await phone(browser, { timezoneId: DEVICE_ZONE });
    page = owner.page;
    await pairByLink(page, (await offerPairing(relay.url, agent.stateDir, ["--yes", "--role", "owner"])).url, "Owner phone");
  });
  afterAll(async () => {
    await owner?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
  });

  it("says how to make a reminder while there is none", async () => {
    await page.click("#tab-reminders");
    expect(new URL(page.url()).hash).toBe("#reminders");
    await expect.poll(() => upcoming().innerText()).toBe("No reminders yet. Set one above, or type /remind tomorrow 9am call the bank in the chat.");
    expect(await recurring().innerText()).toMatch(/Nothing recurring/);
    expect(await past().innerText()).toBe("Nothing has run yet.");
    expect(await page.getAttribute("#remind-when", "placeholder")).toBe("tomorrow 9am · in 20 min");
    await shoot("17-reminders-empty");
  });

  it("sets a reminder from the form, confirms the time the PC understood, and lists it at this device's local time", async () => {
    const before = Date.now();
    await setReminder("in 1 hour", "call the bank");
    const after = Date.now();
    const times = [parisTime(before + HOUR), parisTime(after + HOUR)];
    await expect.poll(() => status().innerText()).toMatch(/^Reminder set — call the bank: /);
    // Said from the schedule, in this device's zone (so no zone is named).
    expect(times.map((t) => `Reminder set — call the bank: ${t}`)).toContain(await status().innerText());
    const item = upcoming().locator(".reminder", { hasText: "call the bank" });
    const when = await item.locator(".reminder-when").innerText();
    // Read in the device's zone, which the form sent: no other zone named.
    expect(times).toContain(when.split(" · ")[0]);
    expect(when).toMatch(/ · in (1 hour|60 minutes|59 minutes)$/);
    expect(await page.locator("#remind-when").inputValue()).toBe("");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("remind-when");
  });

  it("lists a recurring reminder with its pattern and its next run", async () => {
    await setReminder("every monday 8:00", "stand-up");
    const item = recurring().locator(".reminder", { hasText: "stand-up" });
    await expect
      .poll(() => item.locator(".reminder-when").innerText())
      .toMatch(/ · next Mon \d\d [A-Z][a-z]{2}( \d{4})? 08:00 · (in \d+ (hours?|days|minutes?)|tomorrow)$/);
    expect(await item.locator(".reminder-when").innerText()).toMatch(/monday/i);
    await shoot("18-reminders-upcoming");
  });

  it("says what was wrong with words the PC cannot read as a time", async () => {
    await setReminder("someday maybe", "tidy the garage");
    await expect.poll(() => status().getAttribute("class")).toMatch(/error/);
    expect(await status().innerText()).toMatch(/^The PC did not accept what was sent\. \(.+\)$/);
    expect(await upcoming().innerText()).not.toContain("tidy the garage");
  });

  it("shows a /remind from the chat as a card, then as delivered in Past when its push arrives", async () => {
    await page.click("#tab-chat");
    const bubble = await say("/remind in 2 seconds stretch");
    const card = bubble.locator(".schedule-card");
    const text = await card.innerText();
    // The PC reads "in 2 seconds" in its own zone: the card names it beside this device's time.
    // (Tokyo's date is named too when it is already another day there.)
    expect(text).toMatch(new RegExp(`^⏰ Reminder set: stretch — ${EXACT} \\((${DAY} )?\\d\\d:\\d\\d ${PC_ZONE}\\) · See all reminders$`));
    const link = card.locator("a");
    expect(await link.getAttribute("href")).toMatch(/^#reminders(\/[A-Za-z0-9_.-]+)?$/);
    await shoot("19-chat-reminder-card");

    await link.click();
    await expect.poll(() => page.getAttribute("#tab-reminders", "aria-selected")).toBe("true");
    const delivered = past().locator(".reminder.run-delivered", { hasText: "stretch" });
    await expect.poll(() => delivered.count(), { timeout: 20_000 }).toBe(1);
    expect(await delivered.locator(".reminder-when").innerText()).toMatch(new RegExp(`^Delivered · ${EXACT}`));
    expect(await status().innerText()).toBe("Reminder “stretch”: delivered.");
    expect(await upcoming().innerText()).not.toContain("stretch");
    await shoot("20-reminders-delivered");
  });

  it("shows the card for a reminder the secretary set with a tool step, and lists it at once", async () => {
    fake.script(toolCall("schedule_create", [JSON.stringify({ when: "tomorrow 9am", text: "water the plants" })]), text("I will remind you tomorrow at 9."));
    await page.click("#tab-chat");
    const bubble = await say("Remind me to water the plants tomorrow at 9");
    expect(await bubble.locator(".tool-steps").innerText()).toBe("schedule.create done");
    // 09:00 in Tokyo is 01:00 (02:00 in summer) the same day in Paris.
    expect(await bubble.locator(".schedule-card").innerText()).toMatch(
      new RegExp(`^⏰ Reminder set: water the plants — ${DAY} 0[12]:00 \\(09:00 ${PC_ZONE}\\) · See all reminders$`),
    );
    await page.click("#tab-reminders");
    await expect.poll(() => upcoming().innerText()).toContain("water the plants");
  });

  it("cancels an active reminder: it leaves Upcoming and shows as cancelled in Past", async () => {
    const item = upcoming().locator(".reminder", { hasText: "call the bank" });
    await item.getByRole("button", { name: "Cancel call the bank" }).click();
    await expect.poll(() => upcoming().innerText()).not.toContain("call the bank");
    expect(await status().innerText()).toBe("Cancelled “call the bank”: it will not run.");
    expect(await past().locator(".reminder.run-cancelled").innerText()).toMatch(/^call the bank\n+Cancelled · /);
  });

  it("logged no console errors", () => {
    expect(owner.errors).toEqual([]);
  });
});
