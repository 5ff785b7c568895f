/**
 * Real Chromium for the web client's tests (playwright-core driving Debian's /usr/bin/chromium, which
 * `npm test` installs when missing; CHROMIUM_PATH points elsewhere), plus the PC side of pairing: the
 * real `ora-agent pair`. Every page records its console errors and uncaught exceptions, so a test can
 * say "no errors" and mean it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { AGENT_BIN } from "../helpers/agent.js";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SHOTS = "test-results/web";

export function launchChromium(): Promise<Browser> {
  // Never a silent skip: a missing browser is a broken machine, and npm test installs it first.
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: npm test installs it (scripts/ensure-chromium.mjs), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
}

/** A fresh browser profile (its own IndexedDB) at phone size; `options` add to it (a time zone, a locale). */
export async function phone(browser: Browser, options: BrowserContextOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page, errors: recordErrors(page) };
}

/**
 * The console errors and uncaught exceptions of a page, as they come. One is left out: a relay
 * without Web Push answers 404 when the app asks for its VAPID key (settings-view.ts), and
 * Chromium logs every 404 as an error.
 */
export function recordErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    // "Failed to load resource" says which resource only in its location.
    const text = `${message.text()} ${message.location().url}`.trim();
    if (message.type() === "error" && !/404 .*\/v1\/push\/vapid-key$/.test(text)) errors.push(text);
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  return errors;
}

/** Saves the page under test-results/web/<name>.png: the whole page, or only what is on screen (`fullPage: false`). */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
}

export interface PairProcess {
  code: string;
  url: string;
  output(): string;
  exit: Promise<number | null>;
}

/** Runs `ora-agent pair` for a state directory and waits for its code and link. */
export async function offerPairing(relay: string, stateDir: string, args: string[] = ["--yes"]): Promise<PairProcess> {
  const proc = spawn(process.execPath, [AGENT_BIN, "pair", "--relay", relay, "--state-dir", stateDir, "--no-qr", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout!.on("data", (d) => (output += d));
  proc.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!/Link: +\S+/.test(output)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`ora-agent pair showed no code:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { code: /Pairing code: (\S+)/.exec(output)![1]!, url: /Link: +(\S+)/.exec(output)![1]!, output: () => output, exit };
}

/** Opens a pairing link in the page, confirms, and waits until the app is connected to the PC. */
export async function pairByLink(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.fill("#device-name", name);
  await page.click("form button[type=submit]");
  await page.waitForSelector(".state.online", { timeout: 15_000 });
}

/** A device as test/helpers/device.ts provisions it, with what the web client stores beside it. */
export interface InjectedDevice {
  relay: string;
  node: string;
  device: string;
  name: string;
  role: "owner" | "sub-admin" | "guest";
  credential: string;
  agentPublicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * Opens the app as an already paired device, without the pairing ceremony: the device is written
 * into the page's IndexedDB as the client keeps it (store.ts; the key as bytes, the fallback for
 * browsers without WebCrypto X25519), then the app is loaded and waits until the PC is online.
 */
export async function openPaired(page: Page, saved: InjectedDevice, path = "/"): Promise<void> {
  await page.goto(`${saved.relay}/pair`);
  const { relay, node, device, name, role, credential, secretKey, agentPublicKey } = saved;
  await page.evaluate(
    (device) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("ora", 1);
        open.onupgradeneeded = () => open.result.createObjectStore("kv");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const { secret, agent, ...fields } = device;
          const record = { ...fields, agentPublicKey: new Uint8Array(agent), key: { kind: "bytes", secretKey: new Uint8Array(secret) } };
          const tx = open.result.transaction("kv", "readwrite");
          tx.objectStore("kv").put(record, "device");
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
    { relay, node, device, name, role, credential, secret: [...secretKey], agent: [...agentPublicKey] },
  );
  await page.goto(`${saved.relay}${path}`);
  await page.waitForSelector(".state.online", { timeout: 15_000 });
}
