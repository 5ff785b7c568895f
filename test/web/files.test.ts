/**
 * Files between the phone and the PC in a real Chromium: a file attached in the chat goes to the
 * PC's shared folder (hashing, then sending, with its progress on a chip), waits for the owner's
 * approval like writing a file, lands byte-exact, and the message sent with it names it for the
 * model; a taken name is numbered, never overwritten; a removed chip cancels its upload on the PC; a
 * refused file stays on its chip and is sent again from it. A file in a `/run files.list` result
 * downloads byte-exact (the browser's downloads, or a file the page may write), shows its progress,
 * stops, and says why it failed. Real relay, real agent, a fake OpenAI-compatible model.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startFakeOpenAI, text, type FakeLLM } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { axeViolations } from "./axe.js";
import { launchChromium, openPaired, phone, screenshot, type TestPage } from "./browser.js";

const MiB = 1024 * 1024;
const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("files between the phone and the PC", () => {
  let relay: Relay;
  let fake: FakeLLM;
  let agent: AgentProcess;
  let browser: Browser;
  let en: TestPage;
  let ja: TestPage;
  const root = mkdtempSync(join(tmpdir(), "ora-web-files-"));
  const local = mkdtempSync(join(tmpdir(), "ora-web-files-local-"));
  const stateDir = newStateDir();
  const staged = () => (existsSync(join(stateDir, "uploads")) ? readdirSync(join(stateDir, "uploads")) : []);

  /** A file on this machine for the picker, of random bytes. */
  const localFile = (name: string, size: number) => {
    const bytes = randomBytes(size);
    const path = join(local, name);
    writeFileSync(path, bytes);
    return { path, bytes };
  };
  const chip = (page: Page, name: string) => page.locator(".attachment", { hasText: name });
  /** Every change of the chips, as "state:progress" ("-" when the bar is hidden or has no size). */
  const recordChips = (page: Page) =>
    page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { chipStates: string[] }).chipStates = seen;
      new MutationObserver(() => {
        for (const li of document.querySelectorAll<HTMLElement>(".attachment")) {
          const bar = li.querySelector("progress");
          const shown = bar && !bar.hidden && bar.getBoundingClientRect().width > 0;
          seen.push(`${li.dataset.state}:${shown ? bar.value : "-"}`);
        }
      }).observe(document.querySelector(".composer")!, { subtree: true, attributes: true, childList: true, characterData: true });
    });
  const chipStates = (page: Page) => page.evaluate(() => (window as unknown as { chipStates: string[] }).chipStates);
  /** The owner decides the one approval waiting in the inbox, then goes back to the chat. */
  const decide = async (page: Page, verdict: "approve" | "deny") => {
    await expect.poll(() => page.locator(".badge").innerText(), { timeout: 10_000 }).toBe("1");
    await page.click("#tab-approvals");
    await page.locator(`.approval button.${verdict}`).click();
    await expect.poll(() => page.locator(".badge").isHidden(), { timeout: 5000 }).toBe(true);
    await page.click("#tab-chat");
  };
  const say = async (page: Page, message: string) => {
    const before = await page.locator(".msg.ora").count();
    await page.fill("#message", message);
    await page.keyboard.press("Enter");
    const bubble = page.locator(".msg.ora").nth(before);
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    return bubble;
  };
  /** Both sizes the app is made for. */
  const shoot = async (page: Page, name: string, colorScheme: "light" | "dark" = "light") => {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, name, { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `${name}-desktop`, { fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
  };
  const axeBoth = async (page: Page) => {
    for (const colorScheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await axeViolations(page)).toEqual([]);
    }
  };

  beforeAll(async () => {
    relay = await startRelay();
    fake = await startFakeOpenAI();
    agent = await startAgent(relay.url, stateDir, { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root, OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: "test-key" });
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
    // A phone's browser cannot write a file the page picks: downloads go through the browser's downloads.
    await en.context.addInitScript(() => {
      (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker = undefined;
    });
    await openPaired(en.page, await device("owner-phone"));
    await openPaired(ja.page, await device("owner-ja"));
    await recordChips(en.page);
  });
  afterAll(async () => {
    await en?.context.close();
    await ja?.context.close();
    await browser?.close();
    await agent?.stop();
    await fake?.close();
    await relay?.dispose();
    rmSync(local, { recursive: true, force: true });
  });

  it("sends an attached file with its progress, holds the message until the approved file is on the PC, and names it for the model", async () => {
    mkdirSync(join(root, "ORA"));
    const photo = localFile("photo.jpg", 3 * MiB + 123);
    expect(await en.page.getAttribute("button.attach", "aria-label")).toBe("Attach files");
    await en.page.setInputFiles("input.attach-input", photo.path);
    const item = chip(en.page, "photo.jpg");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 15_000 }).toBe("waiting");
    expect(await item.locator(".attachment-status").innerText()).toBe("Waiting for approval to save it on the PC");
    expect(await item.locator(".attachment-size").innerText()).toBe("3 MB");
    // The bar showed how far reading, then sending, had come.
    const states = await chipStates(en.page);
    const sending = states.filter((s) => s.startsWith("sending:")).map((s) => Number(s.split(":")[1]));
    expect(sending.some((value) => value > 0 && value < 100)).toBe(true);
    expect(states.findIndex((s) => s.startsWith("hashing:"))).toBeLessThan(states.findIndex((s) => s.startsWith("sending:")));
    expect(states.filter((s) => s.startsWith("waiting:"))).toEqual(states.filter((s) => s === "waiting:-"));

    // Not yet on the PC: the message waits, with its words kept, and the tray says why.
    await en.page.fill("#message", "Summarise this");
    await en.page.keyboard.press("Enter");
    expect(await en.page.locator(".attachment-note").innerText()).toBe("Wait until the files are on your PC, or remove them.");
    expect(await en.page.inputValue("#message")).toBe("Summarise this");
    expect(await en.page.locator(".msg").count()).toBe(0);
    await axeBoth(en.page);
    await shoot(en.page, "80-attach-waiting");

    await decide(en.page, "approve");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 10_000 }).toBe("ready");
    expect(await item.locator(".attachment-status").innerText()).toBe("On the PC, ready to send");
    expect(sha(readFileSync(join(root, "ORA/photo.jpg")))).toBe(sha(photo.bytes));

    fake.script(text("It is a photo."));
    await en.page.locator("#message").focus();
    await en.page.keyboard.press("Enter");
    const bubble = en.page.locator(".msg.ora").first();
    await expect.poll(() => bubble.getAttribute("aria-busy"), { timeout: 15_000 }).toBeNull();
    const line = `Attached file: "ORA/photo.jpg" in the shared folder "${basename(root)}" (3.0 MB)`;
    // The reader sees the file by its name; the model reads where it is.
    expect(await en.page.locator(".msg.you p").innerText()).toBe("Summarise this");
    expect(await en.page.locator(".msg.you .attached .attached-name").allInnerTexts()).toEqual(["photo.jpg"]);
    expect(await en.page.locator(".msg.you .attached .item-meta").innerText()).toBe("3.0 MB");
    const asked = JSON.stringify(fake.requests.at(-1)?.body.messages);
    expect(asked).toContain(JSON.stringify(`Summarise this\n\n${line}`).slice(1, -1));
    expect(await en.page.locator(".attachment").count()).toBe(0);
    expect(en.errors).toEqual([]);
  });

  it("numbers a name already taken on the PC instead of overwriting the file there", async () => {
    const first = readFileSync(join(root, "ORA/photo.jpg"));
    const again = localFile("photo.jpg", 200 * 1024);
    await en.page.setInputFiles("input.attach-input", again.path);
    const item = chip(en.page, "photo.jpg");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 15_000 }).toBe("waiting");
    await decide(en.page, "approve");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 10_000 }).toBe("ready");
    expect(await item.locator(".attachment-status").innerText()).toBe("On the PC as photo (2).jpg, ready to send");
    expect(sha(readFileSync(join(root, "ORA/photo (2).jpg")))).toBe(sha(again.bytes));
    expect(sha(readFileSync(join(root, "ORA/photo.jpg")))).toBe(sha(first));
    // Removed from the message, the file stays where it is on the PC.
    await item.locator("button.remove").click();
    expect(await en.page.locator(".attachment").count()).toBe(0);
    expect(await en.page.evaluate(() => document.activeElement?.id)).toBe("message");
    expect(existsSync(join(root, "ORA/photo (2).jpg"))).toBe(true);
  });

  it("cancels an upload on the PC when its chip is removed while it is sent", async () => {
    const big = localFile("big.bin", 24 * MiB);
    await en.page.setInputFiles("input.attach-input", big.path);
    const item = chip(en.page, "big.bin");
    await item.locator("progress.sending").waitFor({ timeout: 15_000 });
    await expect.poll(() => staged().length, { timeout: 10_000 }).toBeGreaterThan(0);
    await item.getByRole("button", { name: "Remove big.bin" }).click();
    expect(await en.page.locator(".attachment").count()).toBe(0);
    await expect.poll(() => staged(), { timeout: 10_000 }).toEqual([]);
    expect(existsSync(join(root, "ORA/big.bin"))).toBe(false);
    expect(await en.page.locator(".badge").isHidden()).toBe(true);
  });

  it("keeps a refused file on its chip, in words, and sends it again from there", async () => {
    const letter = localFile("letter.pdf", 50 * 1024);
    await en.page.setInputFiles("input.attach-input", letter.path);
    const item = chip(en.page, "letter.pdf");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 15_000 }).toBe("waiting");
    await decide(en.page, "deny");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 10_000 }).toBe("failed");
    expect(await item.locator(".attachment-status").innerText()).toBe("Not saved: the owner did not approve it.");
    await en.page.fill("#message", "Here it is");
    await en.page.keyboard.press("Enter");
    expect(await en.page.locator(".attachment-note").innerText()).toBe("A file could not be sent. Send it again or remove it.");
    await axeBoth(en.page);
    await shoot(en.page, "81-attach-failed");

    await item.getByRole("button", { name: "Send letter.pdf again" }).click();
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 15_000 }).toBe("waiting");
    await decide(en.page, "approve");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 10_000 }).toBe("ready");
    expect(sha(readFileSync(join(root, "ORA/letter.pdf")))).toBe(sha(letter.bytes));
    await item.locator("button.remove").click();
    await en.page.fill("#message", "");
  });

  it("downloads a file of a folder result byte-exact, with progress, through the browser's downloads or a file the page may write", async () => {
    const report = randomBytes(6 * MiB + 7);
    writeFileSync(join(root, "ORA/report.bin"), report);
    const folder = (await say(en.page, '/run files.list {"root":0,"path":"ORA"}')).locator(".folder-result");
    const button = folder.getByRole("button", { name: "Download report.bin" });
    expect(await folder.locator("button.file-download").count()).toBe(4);
    await en.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { downloadShown: string[] }).downloadShown = seen;
      new MutationObserver(() => {
        const bar = document.querySelector<HTMLProgressElement>(".download-progress progress");
        if (bar) seen.push(String(bar.value));
      }).observe(document.querySelector(".log")!, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const [download] = await Promise.all([en.page.waitForEvent("download", { timeout: 30_000 }), button.click()]);
    expect(download.suggestedFilename()).toBe("report.bin");
    expect(sha(readFileSync((await download.path())!))).toBe(sha(report));
    const row = folder.locator("li", { hasText: "report.bin" });
    expect(await row.locator(".download-status").innerText()).toBe("Saved report.bin.");
    const shown = (await en.page.evaluate(() => (window as unknown as { downloadShown: string[] }).downloadShown)).map(Number);
    expect(shown.some((value) => value > 0 && value < 100)).toBe(true);

    // Where the page may write a file the reader picks, the pieces go there as they come.
    const written = await en.page.evaluate(async () => {
      const parts: Uint8Array[] = [];
      let closed = false;
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async () => ({
        createWritable: async () => ({
          write: async (data: Uint8Array) => void parts.push(data.slice()),
          close: async () => void (closed = true),
          abort: async () => undefined,
        }),
      });
      document.querySelector<HTMLButtonElement>("button.file-download[data-name='photo.jpg']")!.click();
      const row = document.querySelector("button.file-download[data-name='photo.jpg']")!.parentElement!;
      while (!row.querySelector(".download-status")?.textContent) await new Promise((resolve) => setTimeout(resolve, 50));
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = undefined;
      const whole = new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", whole));
      return { closed, pieces: parts.length, sha: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") };
    });
    expect(written.closed).toBe(true);
    expect(written.pieces).toBeGreaterThan(1);
    expect(written.sha).toBe(sha(readFileSync(join(root, "ORA/photo.jpg"))));
    await axeBoth(en.page);
    await shoot(en.page, "82-download-saved");
  });

  it("stops a download when asked and says in words why one failed", async () => {
    writeFileSync(join(root, "ORA/huge.bin"), randomBytes(40 * MiB));
    const folder = (await say(en.page, '/run files.list {"root":0,"path":"ORA"}')).locator(".folder-result");
    let downloads = 0;
    en.page.on("download", () => downloads++);
    const row = folder.locator("li", { hasText: "huge.bin" });
    await row.getByRole("button", { name: "Download huge.bin" }).click();
    const stop = row.getByRole("button", { name: "Stop downloading huge.bin" });
    await stop.waitFor();
    expect(await en.page.evaluate(() => document.activeElement?.className)).toBe("download-stop");
    await stop.click();
    await expect.poll(() => row.locator(".download-status").innerText(), { timeout: 10_000 }).toBe("Download stopped.");
    expect(await row.getByRole("button", { name: "Download huge.bin" }).isVisible()).toBe(true);

    rmSync(join(root, "ORA/report.bin"));
    const gone = folder.locator("li", { hasText: "report.bin" });
    await gone.getByRole("button", { name: "Download report.bin" }).click();
    await expect.poll(() => gone.locator(".download-status.error").innerText(), { timeout: 10_000 }).toMatch(/^Not found\./);
    expect(downloads).toBe(0);
    expect(en.errors).toEqual([]);
  });

  it("says it all in Japanese, and puts a file at the top of the shared folder when it has no ORA folder", async () => {
    await say(ja.page, '/run files.list {"root":0,"path":"ORA"}');
    renameSync(join(root, "ORA"), join(root, "ORA-kept"));
    const receipt = localFile("領収書-2026年11月分.pdf", 300 * 1024);
    expect(await ja.page.getAttribute("button.attach", "aria-label")).toBe("ファイルを添付");
    await ja.page.setInputFiles("input.attach-input", receipt.path);
    const item = chip(ja.page, "領収書");
    await expect.poll(() => item.getAttribute("data-state"), { timeout: 15_000 }).toBe("waiting");
    expect(await item.locator(".attachment-status").innerText()).toBe("PCへの保存の承認を待っています");
    const [record] = staged().filter((name) => name.endsWith(".json"));
    expect(JSON.parse(readFileSync(join(stateDir, "uploads", record!), "utf8")).path).toBe("領収書-2026年11月分.pdf");
    await ja.page.fill("#message", "この領収書をまとめてください");
    await ja.page.keyboard.press("Enter");
    expect(await ja.page.locator(".attachment-note").innerText()).toBe("ファイルがPCに届くまでお待ちいただくか、添付を取り消してください。");
    await axeBoth(ja.page);
    await shoot(ja.page, "83-files-ja", "dark");
    await item.getByRole("button", { name: "領収書-2026年11月分.pdf を取り消す" }).click();
    // Its approval is withdrawn with it.
    await expect.poll(() => en.page.locator(".badge").isHidden(), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => staged(), { timeout: 10_000 }).toEqual([]);
    expect(ja.errors).toEqual([]);
  });
});
