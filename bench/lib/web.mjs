/**
 * The web phase: how small the web client is and how soon a paired phone shows the chat again.
 * The real relay (workerd) serves web/dist, the real agent answers (its model a fake OpenAI server, so
 * the chat has a conversation to show), real Chromium (Debian's, headless) opens the app at 390×844.
 *
 * The page pairs once by link, sends one chat message, then reloads: two warm-up reloads (the service
 * worker installed and in control, the HTTP cache warm), then `runs` measured ones. Each reload is timed
 * in the page from navigation start (performance.now() = 0), by a MutationObserver installed before the
 * app's script runs; a time is taken in the first animation frame after the element appears:
 *   log        the chat's log ([role=log]) is on the page with a box: the chat view has rendered
 *   message    the first message of the conversation is shown (the connection, the end-to-end handshake
 *              and conversations.history are done)
 *   online     the connection state says online
 * plus the browser's first contentful paint. The anchor is a navigation in the same page to the relay's
 * /healthz (plain text, no script, network only), timed to its load event. Both series run twice: at
 * the machine's speed and with Chromium's CPU slowed 4× (CDP Emulation.setCPUThrottlingRate), closer
 * to a mid-range phone.
 *
 * Sizes come from the last build (web/dist-report.json, written by web/build.mjs).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startFakeOpenAI } from "./fake-openai.mjs";
import { quantile as sortedQuantile } from "./load.mjs";
import { AGENT_BIN, stack, startAgent, startOraWorker } from "./targets.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
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
const quantile = (list, q) =>
  sortedQuantile(
    [...list].sort((a, b) => a - b),
    q,
  );

/** Runs in the page before any of its scripts: first-frame times of the chat's log, first message, online. */
function observe() {
  const marks = {};
  window.__benchMarks = marks;
  const watch = { log: "[role=log]", message: ".msg", online: ".state.online" };
  const check = () => {
    for (const [name, selector] of Object.entries(watch)) {
      if (marks[name] !== undefined || marks[`${name}Pending`]) continue;
      const element = document.querySelector(selector);
      if (element?.checkVisibility()) {
        marks[`${name}Pending`] = true;
        requestAnimationFrame(() => (marks[name] = performance.now()));
      }
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

/** `ora-agent pair` for the agent's state directory: resolves with the pairing link; the process ends on its own. */
function offerPairing(url, stateDir) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [AGENT_BIN, "pair", "--relay", url, "--state-dir", stateDir, "--no-qr", "--yes"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const timer = setTimeout(() => (proc.kill(), reject(new Error(`ora-agent pair showed no link:\n${output}`))), 15_000);
    const read = (d) => {
      output += d;
      const link = /Link: +(\S+)/.exec(output);
      if (link) clearTimeout(timer), resolve({ link: link[1], proc });
    };
    proc.stdout.on("data", read);
    proc.stderr.on("data", read);
  });
}

export function bundleSizes() {
  const file = join(root, "web/dist-report.json");
  if (!existsSync(file)) throw new Error("web/dist-report.json is missing: run `node web/build.mjs` (npm run bench builds first)");
  return JSON.parse(readFileSync(file, "utf8"));
}

export async function benchWeb(startWorkerFn, { runs, log, track }) {
  log(`bench: web — Chromium, the real relay serving web/dist and the real agent; ${runs} measured reloads per series`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (scripts/ensure-chromium.mjs installs it)`);
  const bundle = bundleSizes();
  const cleanup = stack();
  track({ name: "web", stop: cleanup.stop });
  const started = performance.now();
  try {
    const { chromium } = await import("playwright-core");
    const fake = await startFakeOpenAI({ pieces: 20 });
    cleanup.push(() => fake.close());
    const { worker, url } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    const providers = { providers: [{ name: "primary", type: "openai", baseURL: fake.baseURL, model: "model-a", apiKey: "none" }] };
    const { stateDir } = await startAgent(url, cleanup, { files: { "providers.json": JSON.stringify(providers) } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    cleanup.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));

    // Pair by link, as a phone does, and leave one exchange in the conversation.
    const { link, proc } = await offerPairing(url, stateDir);
    cleanup.push(async () => proc.exitCode === null && proc.kill());
    await page.goto(link);
    await page.fill("#device-name", "Bench phone");
    await page.click("button:has-text('Pair')");
    await page.waitForSelector(".state.online", { timeout: 20_000 });
    await page.fill("#message", "Hello");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector(".msg.ora:not([aria-busy])")?.textContent?.includes("w19"), null, { timeout: 20_000 });
    await page
      .waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 })
      .catch(async () => {
        await page.reload();
        await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 20_000 });
      });
    await page.addInitScript(observe);
    const cdp = await context.newCDPSession(page);

    const reloadApp = async () => {
      await page.goto(`${url}/`, { waitUntil: "commit" });
      await page.waitForFunction(() => ["log", "message", "online"].every((k) => window.__benchMarks?.[k] !== undefined), null, { timeout: 30_000 });
      return page.evaluate(() => {
        const m = window.__benchMarks;
        const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN;
        const scripts = performance.getEntriesByType("resource").filter((r) => r.name.endsWith(".js"));
        const nav = performance.getEntriesByType("navigation")[0];
        const initial = scripts.filter((r) => r.startTime < nav.domInteractive);
        return {
          log: m.log,
          message: m.message,
          online: m.online,
          fcp,
          page: nav.responseEnd,
          scriptsLoaded: Math.max(...initial.map((r) => r.responseEnd)),
          ready: nav.domContentLoadedEventEnd,
          scripts: initial.length,
          fromWorker: initial.filter((r) => r.workerStart > 0).length,
        };
      });
    };
    const loadAnchor = async () => {
      await page.goto(`${url}/healthz`, { waitUntil: "load" });
      return page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventEnd);
    };

    const series = [];
    for (const slowdown of [1, 4]) {
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: slowdown });
      for (let i = 0; i < 2; i++) await reloadApp();
      const app = [];
      const anchor = [];
      for (let i = 0; i < runs; i++) {
        anchor.push(await loadAnchor());
        app.push(await reloadApp());
      }
      const stat = (list) => ({ n: list.length, p50: quantile(list, 0.5), p90: quantile(list, 0.9), max: Math.max(...list) });
      series.push({
        slowdown,
        log: stat(app.map((r) => r.log)),
        message: stat(app.map((r) => r.message)),
        online: stat(app.map((r) => r.online)),
        fcp: stat(app.map((r) => r.fcp)),
        page: stat(app.map((r) => r.page)),
        scriptsLoaded: stat(app.map((r) => r.scriptsLoaded)),
        ready: stat(app.map((r) => r.ready)),
        anchor: stat(anchor),
        scripts: Math.min(...app.map((r) => r.scripts)),
        fromWorker: Math.min(...app.map((r) => r.fromWorker)),
      });
      log(`bench: web: CPU ×${slowdown}: chat log p50 ${series.at(-1).log.p50.toFixed(1)} ms, anchor p50 ${series.at(-1).anchor.p50.toFixed(1)} ms`);
    }
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
    if (errors.length) throw new Error(`the page reported errors: ${errors.join("; ")}`);
    const chromiumVersion = browser.version();
    return { bundle, series, runs, chromium: chromiumVersion, elapsed: (performance.now() - started) / 1000 };
  } finally {
    await cleanup.stop();
  }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

export function renderWeb(r, machine) {
  const { bundle } = r;
  const lines = [];
  lines.push("### The web client: bundle size and first render of the chat");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(r.seconds)} s. Sizes from web/build.mjs (minified; gzip level 9, each file on its own); ` +
      `times from Chromium ${r.chromium} (headless, 390×844), a paired page reloaded with its service worker in control and its caches warm, ` +
      `${r.runs} measured reloads per row after 2 warm-up ones; the real relay (workerd, serving web/dist) and the real agent, both on 127.0.0.1.`,
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler}; Chromium ${r.chromium}`);
  lines.push("");
  lines.push("| script | loaded | raw | gzip |");
  lines.push("|---|---|---:|---:|");
  for (const name of [...bundle.initial, ...bundle.lazy]) {
    const size = bundle.sizes[name];
    lines.push(
      `| \`${name.replace(/-[A-Z0-9]{8}\.js$/, "-<hash>.js")}\` | ${bundle.initial.includes(name) ? "at start" : "later (import())"} | ${kib(size.raw)} | ${kib(size.gzip)} |`,
    );
  }
  lines.push(`| **what the page needs to show the chat** | at start | **${kib(bundle.initialSize.raw)}** | **${kib(bundle.initialSize.gzip)}** |`);
  lines.push(`| all scripts | | ${kib(bundle.totalSize.raw)} | ${kib(bundle.totalSize.gzip)} |`);
  lines.push("");
  const list = (packages) =>
    Object.entries(packages)
      .map(([name, bytes]) => `${name} ${kib(bytes)}`)
      .join(", ");
  lines.push(`At start (minified bytes by package): ${list(bundle.initialPackages)}.`);
  lines.push(`Later: ${list(bundle.lazyPackages)}.`);
  lines.push("");
  lines.push("| CPU | measured, from navigation start | n | p50 ms | p90 ms | max ms |");
  lines.push("|---|---|---:|---:|---:|---:|");
  for (const s of r.series) {
    const cpu = s.slowdown === 1 ? "as is" : `${s.slowdown}× slower`;
    const row = (what, st) => lines.push(`| ${cpu} | ${what} | ${st.n} | ${ms(st.p50)} | ${ms(st.p90)} | ${ms(st.max)} |`);
    row("anchor: /healthz (plain text, no script) loaded", s.anchor);
    row("the page (HTML) received", s.page);
    row("its scripts received", s.scriptsLoaded);
    row("DOMContentLoaded done (the scripts ran)", s.ready);
    row("first contentful paint", s.fcp);
    row("**the chat's log on screen**", s.log);
    row("the conversation's first message on screen", s.message);
    row("connection state online", s.online);
  }
  lines.push("");
  const base = r.series[0];
  const gzipGoal = bundle.initialSize.gzip <= 60 * 1024;
  const renderGoal = base.log.p50 <= 100;
  lines.push(
    `Goals: the script the page needs to show the chat ≤ 60 KiB gzip — ${gzipGoal ? "**met**" : "**not met**"} (${kib(bundle.initialSize.gzip)}); ` +
      `the chat's log on screen ≤ 100 ms from navigation start, warm cache — ${renderGoal ? "**met**" : "**not met**"} (p50 ${ms(base.log.p50)} ms at the machine's speed, ` +
      `${ms(r.series[1].log.p50)} ms with the CPU 4× slower). Every reload took its ${base.scripts} scripts from the service worker's cache (${base.fromWorker} answered by it). ` +
      `Outside load during this phase: ${r.otherCores.toFixed(2)} cores on average` +
      (r.otherCores > 0.25 ? ` of ${machine.cores}: a noisy machine, whose load moves the tails more than the p50s.` : "."),
  );
  return lines.join("\n");
}
