/**
 * The relay benchmark (goals and method: docs/BENCH.md). `npm run bench` builds, then runs this file with Node 22.
 *
 * Targets, all on 127.0.0.1 (lib/targets.mjs):
 *   ora   the real relay Worker in workerd (unstable_startWorker, wrangler.toml) + the real agent process
 *   bare  a bare Durable Object forwarder in workerd + an echo peer doing the agent's per-request work
 *   node  a plain Node `ws` relay + the same echo peer
 * Scenarios, closed loop, 64 B echo params (lib/load.mjs):
 *   lat1   1 session, 1 request in flight          (2,000 round trips after 200 warm-up)
 *   tp100  1 session, 100 requests in flight       (20,000 round trips after 2,000 warm-up)
 *   s100   100 sessions, 1 request in flight each  (20,000 round trips after 2,000 warm-up)
 * Wire modes, each a complete set of targets (the agent, and so the echo peer, never offers
 * permessage-deflate; the modes differ in the bench's client sockets only):
 *   plain    the clients do not offer permessage-deflate: the same wire for every target
 *   deflate  the clients offer it (the `ws` default; browsers always do): workerd accepts it, the plain
 *            Node `ws` server (default options) declines it
 * Each round runs every scenario on every target, the target order rotating from round to round; the
 * report gives the median over rounds, and the CPU time each process used per round trip.
 *
 * Options:   --rounds N (3)  --total N (20000)  --latency-total N (2000)  --wire plain|deflate|both (both)
 *            --diag      add diagnostic targets to the plain wire mode: the bare forwarder with one SQLite
 *                        insert + delete per request, and both DO targets reached directly rather than
 *                        through wrangler's dev proxy (the relay's pending table is written behind, see
 *                        worker/src/mux/pending.ts, so a memory-only variant no longer differs)
 *            --no-write  do not update the generated section of docs/BENCH.md
 *            --max-sec N hard deadline for the whole bench (1500)
 *            --only LIST phases to run, comma-separated: relay,e2ee,pairing,tools,secretary,approvals,reminders,lockdown,web,isolation,memory (all)
 *            --approval-runs N  measured HIGH calls in the approvals phase (100, after a tenth as many)
 *            --reminder-runs N  reminders the awake agent delivers in the reminders phase (20, after a tenth as many)
 *            --reminder-deposits N  reminders the relay sends for the stopped agent in the reminders phase (5)
 *            --lockdown-runs N  lockdowns per session count (20 and 100 other sessions) in the lockdown phase (10)
 *            --web-runs N  measured reloads of the paired web client per CPU speed in the web phase (20)
 *            --isolation-total N  session A's round trips per round and condition in the isolation phase (2000)
 *            --transfer-sizes LIST  file sizes in MiB the transfer phase moves each way (10,100)
 *            --memory-steps LIST  open-session counts the memory phase measures at (0,500,1000,2000)
 *            --pairings N    pairings in the pairing phase (10)
 *            --secretary-runs N  measured chats of each kind in the secretary phase (200, after a tenth as many)
 *            --pieces N      text pieces the fake model streams per answer in the secretary phase (20)
 *            --quiet-wait N  before each phase, wait up to N s for other processes to use < 0.3 cores (120)
 * The secretary, approvals, reminders, lockdown, web, isolation and memory phases write their own sections of docs/BENCH.md; the others write "Results".
 * Stops everything it started: workers are disposed, child processes are stopped by their PID.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wranglerEnv } from "../scripts/wrangler-env.mjs";
import { PARAMS, median, quantile, run } from "./lib/load.mjs";
import { benchE2ee, benchPairing, benchTools, E2EE_SCENARIOS } from "./lib/phases.mjs";
import { benchApprovals, renderApprovals } from "./lib/approvals.mjs";
import { benchIsolation, renderIsolation } from "./lib/isolation.mjs";
import { benchTransfer, renderTransfer } from "./lib/transfer.mjs";
import { benchLockdown, renderLockdown } from "./lib/lockdown.mjs";
import { benchMemory, renderMemory } from "./lib/memory.mjs";
import { benchReminders, renderReminders } from "./lib/reminders.mjs";
import { benchSecretary, renderSecretary } from "./lib/secretary.mjs";
import { killAllSync, stopAll } from "./lib/procs.mjs";
import { benchWeb, renderWeb } from "./lib/web.mjs";
import { childPids, procStat, startBare, startNodeRelay, startOra } from "./lib/targets.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

// Keep wrangler offline and fast (scripts/wrangler-env.mjs), before wrangler is loaded.
// X_LOCAL_OBSERVABILITY=false matters most: with the tracing tail on, DO throughput drops ~10×.
Object.assign(process.env, wranglerEnv());
const { unstable_startWorker } = await import("wrangler");

// ---- options ----
const argv = process.argv.slice(2);
function option(name, fallback, parse = (v) => Number(v)) {
  const i = argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = parse(argv[i + 1]);
  if (value === undefined || Number.isNaN(value) || (typeof value === "number" && (!Number.isInteger(value) || value < 1))) {
    throw new Error(`bad value for --${name}`);
  }
  return value;
}
const ROUNDS = option("rounds", 3);
const TOTAL = option("total", 20_000);
const LATENCY_TOTAL = option("latency-total", 2_000);
const MAX_SEC = option("max-sec", 1500);
const WIRE = option("wire", "both", (v) => (["plain", "deflate", "both"].includes(v) ? v : undefined));
const DIAG = argv.includes("--diag");
const PHASES = ["relay", "e2ee", "pairing", "tools", "secretary", "approvals", "reminders", "lockdown", "web", "isolation", "memory", "transfer"];
/** Phases that write a section of docs/BENCH.md of their own. */
const OWN_SECTION = ["secretary", "approvals", "reminders", "lockdown", "web", "isolation", "memory", "transfer"];
const ONLY = option("only", PHASES, (v) => (v.split(",").every((p) => PHASES.includes(p)) ? v.split(",") : undefined));
const PAIRINGS = option("pairings", 10);
const SECRETARY_RUNS = option("secretary-runs", 200);
const APPROVAL_RUNS = option("approval-runs", 100);
const REMINDER_RUNS = option("reminder-runs", 20);
const REMINDER_DEPOSITS = option("reminder-deposits", 5);
const LOCKDOWN_RUNS = option("lockdown-runs", 10);
const WEB_RUNS = option("web-runs", 20);
const PIECES = option("pieces", 20);
const ISOLATION_TOTAL = option("isolation-total", 2000);
const TRANSFER_SIZES = option("transfer-sizes", [10, 100], (v) => {
  const sizes = v.split(",").map(Number);
  return sizes.every((n) => Number.isInteger(n) && n > 0 && n <= 1024) ? sizes : undefined;
});
const MEMORY_STEPS = option("memory-steps", [0, 500, 1000, 2000], (v) => {
  const steps = v.split(",").map(Number);
  return steps.every((n) => Number.isInteger(n) && n >= 0) ? steps : undefined;
});
const QUIET_WAIT = option("quiet-wait", 120);
const WRITE = !argv.includes("--no-write");
const SESSIONS = 100;
const INFLIGHT = 100;
const RUN_TIMEOUT_MS = 180_000;
const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux

const SCENARIOS = [
  { key: "lat1", sessions: 1, inflight: 1, total: LATENCY_TOTAL, warmup: Math.ceil(LATENCY_TOTAL / 10) },
  { key: "tp100", sessions: 1, inflight: INFLIGHT, total: TOTAL, warmup: Math.ceil(TOTAL / 10) },
  { key: "s100", sessions: SESSIONS, inflight: 1, total: TOTAL, warmup: Math.ceil(TOTAL / 10) },
];

const WIRES = {
  plain: { deflate: false, title: "no socket offers permessage-deflate" },
  deflate: {
    deflate: true,
    title:
      "clients offer permessage-deflate (the `ws` default, as browsers do): workerd accepts it on client sockets, the Node `ws` server declines; agent links uncompressed",
  },
};

const log = (line) => process.stderr.write(`${line}\n`);

// ---- lifecycle: everything started is stopped on every path ----
const targets = [];
let cleaning = null;
async function stopTargets() {
  for (const t of targets.splice(0).reverse()) await t.stop().catch((e) => log(`stopping ${t.name}: ${e.message}`));
}
function cleanup() {
  cleaning ??= stopTargets().then(stopAll);
  return cleaning;
}
process.on("exit", killAllSync);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    log(`bench: ${signal}, stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  log(`bench: hard deadline of ${MAX_SEC} s reached, stopping`);
  void cleanup().finally(() => process.exit(1));
}, MAX_SEC * 1000);

/** Starts a target and records which new child processes are its relay and which its answering peer. */
async function launch(start) {
  const before = new Set(childPids());
  const t = await start();
  const mine = childPids().filter((pid) => !before.has(pid));
  t.peerPids = t.pids;
  t.proxyPids ??= [];
  t.relayPids = mine.filter((pid) => !t.pids.includes(pid) && !t.proxyPids.includes(pid));
  targets.push(t);
  return t;
}

function machineBusyTicks() {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return user + nice + system + irq + softirq + steal;
}

const ticksOf = (pids) => pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);
const systemTicksOf = (pids) => pids.reduce((sum, pid) => sum + (procStat(pid)?.system ?? 0), 0);

function cpuSnapshot(target) {
  const all = [process.pid, ...targets.flatMap((t) => [...t.proxyPids, ...t.relayPids, ...t.peerPids])];
  return {
    at: performance.now(),
    machine: machineBusyTicks(),
    bench: ticksOf(all) + ticksOf(childPids().filter((p) => !all.includes(p))),
    client: ticksOf([process.pid]),
    proxy: ticksOf(target.proxyPids),
    relay: ticksOf(target.relayPids),
    relaySystem: systemTicksOf(target.relayPids),
    peer: ticksOf(target.peerPids),
  };
}

function cpuDelta(a, b, total) {
  const perReq = (ticks) => (ticks * TICK_MS * 1000) / total; // µs of CPU per round trip
  const seconds = (b.at - a.at) / 1000;
  return {
    client: perReq(b.client - a.client),
    proxy: perReq(b.proxy - a.proxy),
    relay: perReq(b.relay - a.relay),
    relaySystem: perReq(b.relaySystem - a.relaySystem),
    peer: perReq(b.peer - a.peer),
    otherCores: Math.max(0, (b.machine - a.machine - (b.bench - a.bench)) * TICK_MS) / 1000 / seconds,
  };
}

// ---- one wire mode ----
async function benchWire(wireKey) {
  const { deflate } = WIRES[wireKey];
  log(`bench: wire mode "${wireKey}" — starting targets`);
  await launch(() => startOra(unstable_startWorker, { deflate }));
  await launch(() => startBare(unstable_startWorker, { deflate }));
  await launch(() => startNodeRelay({ deflate }));
  if (DIAG && wireKey === "plain") {
    await launch(() => startBare(unstable_startWorker, { deflate, diag: "sql" }));
    await launch(() => startOra(unstable_startWorker, { deflate, direct: true, name: "ora@direct", label: "diag: ORA relay + real agent" }));
    await launch(() => startBare(unstable_startWorker, { deflate, direct: true }));
  }

  // One long-lived session per target for the single-session scenarios; checked once end to end.
  const single = new Map();
  const expected = JSON.stringify({ ok: true, result: PARAMS });
  // Every answer of every run is opened and checked ({"ok":true,…}); this first one is compared whole.
  const extensions = {};
  for (const t of targets) {
    const s = await t.session();
    await run([s], { total: 1, inflight: 1, timeoutMs: 10_000 });
    if (JSON.stringify(s.lastAnswer) !== expected) throw new Error(`${t.name}: unexpected answer ${JSON.stringify(s.lastAnswer)}`);
    single.set(t.name, s);
    extensions[t.name] = s.ws.extensions || "none";
    log(`bench: ${t.label} at ${t.url} answers; negotiated extensions: ${extensions[t.name]}`);
  }

  const rows = Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(SCENARIOS.map((sc) => [sc.key, []]))]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const sc of SCENARIOS) {
      for (const t of order) {
        const sessions = sc.sessions === 1 ? [single.get(t.name)] : await Promise.all(Array.from({ length: sc.sessions }, () => t.session()));
        try {
          await run(sessions, { total: sc.warmup, inflight: sc.inflight, timeoutMs: RUN_TIMEOUT_MS });
          const before = cpuSnapshot(t);
          const r = await run(sessions, { total: sc.total, inflight: sc.inflight, timeoutMs: RUN_TIMEOUT_MS });
          const cpu = cpuDelta(before, cpuSnapshot(t), sc.total);
          const row = { rps: r.rps, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), cpu };
          rows[t.name][sc.key].push(row);
          log(
            `${wireKey} ${round + 1}/${ROUNDS} ${sc.key.padEnd(5)} ${t.name.padEnd(10)} ${fmtInt(row.rps).padStart(7)} req/s  p50 ${fmt(row.p50)} ms  p99 ${fmt(row.p99)} ms  ` +
              `cpu µs/req client ${cpu.client.toFixed(0)} proxy ${cpu.proxy.toFixed(0)} relay ${cpu.relay.toFixed(0)} peer ${cpu.peer.toFixed(0)}  other load ${cpu.otherCores.toFixed(2)} cores`,
          );
        } finally {
          if (sc.sessions !== 1) await Promise.all(sessions.map((s) => s.close()));
        }
      }
    }
  }

  const relayMetrics = await targets.find((t) => t.name === "ora").metrics();
  for (const s of single.values()) await s.close();
  const labels = Object.fromEntries(targets.map((t) => [t.name, t.label]));
  await stopTargets();
  return { wire: wireKey, summary: summarize(rows), labels, extensions, relayMetrics };
}

function summarize(rows) {
  const out = {};
  for (const [name, byScenario] of Object.entries(rows)) {
    out[name] = {};
    for (const [key, list] of Object.entries(byScenario)) {
      const pick = (f) => median(list.map(f));
      out[name][key] = {
        rps: pick((r) => r.rps),
        rpsMin: Math.min(...list.map((r) => r.rps)),
        rpsMax: Math.max(...list.map((r) => r.rps)),
        p50: pick((r) => r.p50),
        p50Min: Math.min(...list.map((r) => r.p50)),
        p50Max: Math.max(...list.map((r) => r.p50)),
        p99: pick((r) => r.p99),
        cpu: {
          client: pick((r) => r.cpu.client),
          proxy: pick((r) => r.cpu.proxy),
          relay: pick((r) => r.cpu.relay),
          relaySystem: pick((r) => r.cpu.relaySystem),
          peer: pick((r) => r.cpu.peer),
        },
        // Relay + answering peer, mean over rounds: every round runs the same number of round trips,
        // so this is the CPU of all rounds together divided by all their round trips.
        cpuPath: list.reduce((sum, r) => sum + r.cpu.relay + r.cpu.peer, 0) / list.length,
        cpuPathRounds: list.map((r) => r.cpu.relay + r.cpu.peer),
        otherCoresMax: Math.max(...list.map((r) => r.cpu.otherCores)),
        otherCores: pick((r) => r.cpu.otherCores),
      };
    }
  }
  return out;
}

function machineInfo() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  let workerd = "unknown";
  try {
    workerd = execFileSync(join(root, "node_modules/.bin/workerd"), ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    // reported as unknown
  }
  const version = (pkg) => JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")).version;
  return {
    cpu: model,
    cores: os.cpus().length,
    memoryGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd: workerd.replace(/^workerd\s*/, ""),
    wrangler: version("wrangler"),
    miniflare: version("miniflare"),
    ws: version("ws"),
  };
}

const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const pct = (x) => `${(100 * x).toFixed(0)}%`;
const verdict = (ok) => (ok ? "**met**" : "**not met**");

function renderWire({ wire, summary, labels, extensions, relayMetrics }) {
  const lines = [];
  lines.push(`### Wire mode \`${wire}\`: ${WIRES[wire].title}`);
  lines.push("");
  lines.push(
    `| target | req/s, ${INFLIGHT} in flight, 1 session | p50 / p99 ms, 1 in flight | p50 / p99 ms, ${INFLIGHT} in flight | req/s, ${SESSIONS} sessions × 1 in flight | p50 / p99 ms, ${SESSIONS} sessions |`,
  );
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const [name, r] of Object.entries(summary)) {
    lines.push(
      `| ${labels[name]} | ${fmtInt(r.tp100.rps)} (${fmtInt(r.tp100.rpsMin)}–${fmtInt(r.tp100.rpsMax)}) | ${fmt(r.lat1.p50)} (${fmt(r.lat1.p50Min)}–${fmt(r.lat1.p50Max)}) / ${fmt(r.lat1.p99)} | ${fmt(r.tp100.p50)} / ${fmt(r.tp100.p99)} | ${fmtInt(r.s100.rps)} (${fmtInt(r.s100.rpsMin)}–${fmtInt(r.s100.rpsMax)}) | ${fmt(r.s100.p50)} / ${fmt(r.s100.p99)} |`,
    );
  }
  lines.push("");
  lines.push(
    `CPU time per round trip at ${INFLIGHT} in flight, 1 session (µs, all threads of each process, median over rounds; "relay" is the Worker's workerd process or the Node relay process):`,
  );
  lines.push("");
  lines.push("| target | client (bench process) | wrangler dev proxy | relay (of which kernel) | answering peer | total |");
  lines.push("|---|---:|---:|---:|---:|---:|");
  for (const [name, r] of Object.entries(summary)) {
    const c = r.tp100.cpu;
    lines.push(
      `| ${labels[name]} | ${c.client.toFixed(0)} | ${c.proxy.toFixed(0)} | ${c.relay.toFixed(0)} (${c.relaySystem.toFixed(0)}) | ${c.peer.toFixed(0)} | ${(c.client + c.proxy + c.relay + c.peer).toFixed(0)} |`,
    );
  }
  const ora = summary.ora;
  const bare = summary.bare;
  const node = summary.node;
  const tpRatio = ora.tp100.rps / bare.tp100.rps;
  const sRatio = ora.s100.rps / bare.s100.rps;
  const overhead = ora.lat1.p50 - node.lat1.p50;
  const cpu = (sc) => cpuRatio(bare[sc], ora[sc]);
  lines.push("");
  lines.push("Goals (top of this file) in this wire mode:");
  lines.push("");
  lines.push(
    `- **Headline:** relay + agent ≥ 90% of the bare DO forwarder + echo peer by CPU per round trip (all rounds of this run; the ratio is bare's CPU over ORA's, ` +
      `i.e. the throughput ORA reaches where both are CPU-bound): ${pct(cpu("tp100").all)} at ${INFLIGHT} in flight ` +
      `(${ora.tp100.cpuPath.toFixed(0)} vs ${bare.tp100.cpuPath.toFixed(0)} µs; rounds ${cpu("tp100").range}) — ${verdict(cpu("tp100").all >= 0.9)}; ` +
      `${pct(cpu("s100").all)} with ${SESSIONS} sessions (${ora.s100.cpuPath.toFixed(0)} vs ${bare.s100.cpuPath.toFixed(0)} µs; rounds ${cpu("s100").range}) — ${verdict(cpu("s100").all >= 0.9)}.`,
  );
  lines.push(
    `- For reference, by requests/s (a ratio of two medians, which moves with outside load): ${pct(tpRatio)} at ${INFLIGHT} in flight (${fmtInt(ora.tp100.rps)} vs ${fmtInt(bare.tp100.rps)}); ` +
      `${pct(sRatio)} with ${SESSIONS} sessions (${fmtInt(ora.s100.rps)} vs ${fmtInt(bare.s100.rps)}).`,
  );
  lines.push(
    `- ORA ≤ 0.3 ms p50 over the plain Node relay at 1 in flight: ${fmt(ora.lat1.p50)} − ${fmt(node.lat1.p50)} = ${overhead.toFixed(2)} ms — ${verdict(overhead <= 0.3)} ` +
      `(the bare DO forwarder alone is ${(bare.lat1.p50 - node.lat1.p50).toFixed(2)} ms over the Node relay; ORA is ${(ora.lat1.p50 - bare.lat1.p50).toFixed(2)} ms over the bare forwarder).`,
  );
  if (summary["bare+sql"]) {
    const d = summary["bare+sql"];
    lines.push(
      `- Diagnostic: the bare forwarder plus one SQLite insert + delete per request does ${fmtInt(d.tp100.rps)} req/s at ${INFLIGHT} in flight (${pct(d.tp100.rps / bare.tp100.rps)} of bare), p50 ${fmt(d.lat1.p50)} ms at 1 in flight.`,
    );
  }
  if (summary["bare@direct"] && summary["ora@direct"]) {
    const b = summary["bare@direct"];
    const o = summary["ora@direct"];
    lines.push(
      `- Diagnostic, without wrangler's dev proxy: bare ${fmtInt(b.tp100.rps)} req/s, p50 ${fmt(b.lat1.p50)} ms at 1 in flight; ORA ${fmtInt(o.tp100.rps)} req/s (${pct(o.tp100.rps / b.tp100.rps)} of bare), p50 ${fmt(o.lat1.p50)} ms (${(o.lat1.p50 - node.lat1.p50).toFixed(2)} ms over the Node relay).`,
    );
  }
  const others = Object.values(summary).flatMap((r) => Object.values(r).map((s) => s.otherCoresMax));
  lines.push("");
  lines.push(
    `Negotiated client extensions: ${Object.entries(extensions)
      .map(([n, e]) => `${n} ${e}`)
      .join(", ")}. ` +
      `CPU used by processes outside the bench during the measured runs: up to ${Math.max(...others).toFixed(2)} cores (median run ${median(others).toFixed(2)}). ` +
      `Relay counters: ${relayMetrics.requests ?? "?"} requests, ${relayMetrics.answers ?? "?"} answers, rejections ${JSON.stringify(relayMetrics.rejections ?? {})}, ` +
      `drops ${JSON.stringify(relayMetrics.drops ?? {})}, pending high-water ${relayMetrics.pendingHighWater ?? "?"}.`,
  );
  return { text: lines.join("\n"), others: Math.max(...others) };
}

/**
 * Bare's CPU per round trip over ORA's (relay process + answering peer), over every round of the run,
 * and the same ratio round by round as "min–max".
 */
function cpuRatio(bare, ora) {
  const rounds = bare.cpuPathRounds.map((b, i) => b / ora.cpuPathRounds[i]);
  return { all: bare.cpuPath / ora.cpuPath, range: `${pct(Math.min(...rounds))}–${pct(Math.max(...rounds))}` };
}

/** CPU ticks of this process, its reaped children and its live children (for a phase's outside load). */
function treeTicks() {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  const self = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return self + ticksOf(childPids());
}

/** Runs `fn`, and records the mean CPU (cores) used by processes outside the bench meanwhile. */
async function withLoad(fn) {
  const m0 = machineBusyTicks();
  const b0 = treeTicks();
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const other = Math.max(0, (machineBusyTicks() - m0 - (treeTicks() - b0)) * TICK_MS) / 1000 / seconds;
  return { ...result, otherCores: other, seconds };
}

function renderExtras(extra) {
  const lines = [];
  const ms = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
  if (extra.e2ee) {
    const { e2ee } = extra;
    const p = e2ee["echo-plain"];
    const q = e2ee["echo-sealed"];
    lines.push("### E2EE cost: the same relay, echo peer in clear vs sealed");
    lines.push("");
    lines.push(
      'The ORA relay Worker with two echo peers connected as two Nodes of it. *plain*: the client sends `{"method":"echo","params":"<N bytes>"}` ' +
        "and parses the answer; the peer echoes the payload as is. *sealed*: the session handshakes first, the client seals every request, " +
        "the peer opens it and re-seals its body as the answer, the client opens and checks it (`SecureChannel` of @ora/protocol on both ends). One session per row.",
    );
    lines.push("");
    lines.push(
      "| payload, in flight | plain req/s | sealed req/s | sealed / plain (median of rounds) | plain p50 / p99 ms | sealed p50 / p99 ms | CPU µs/req plain: client, peer, all | sealed: client, peer, all | plain / sealed CPU, all |",
    );
    lines.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const sc of E2EE_SCENARIOS) {
      const a = p[sc.key];
      const b = q[sc.key];
      lines.push(
        `| ${sc.bytes >= 1024 ? `${sc.bytes / 1024} KiB` : `${sc.bytes} B`}, ${sc.inflight} | ${fmtInt(a.rps)} (${fmtInt(a.rpsMin)}–${fmtInt(a.rpsMax)}) | ${fmtInt(b.rps)} (${fmtInt(b.rpsMin)}–${fmtInt(b.rpsMax)}) | ` +
          `${pct(e2ee.ratios[sc.key])} | ${fmt(a.p50)} / ${fmt(a.p99)} | ${fmt(b.p50)} / ${fmt(b.p99)} | ${a.cpuClient.toFixed(0)}, ${a.cpuPeer.toFixed(0)}, ${a.cpuAll.toFixed(0)} | ` +
          `${b.cpuClient.toFixed(0)}, ${b.cpuPeer.toFixed(0)}, ${b.cpuAll.toFixed(0)} | ${pct(a.cpuAll / b.cpuAll)} |`,
      );
    }
    const r = e2ee.ratios["1k-tp"];
    const cpuRatio = p["1k-tp"].cpuAll / q["1k-tp"].cpuAll;
    const loaded = e2ee.otherCores > 0.25;
    lines.push("");
    lines.push(
      `"all" is the CPU of every process the bench runs (client, both workerd processes, the peers) per round trip; on a machine where they share ` +
        `the cores, plain / sealed CPU is the throughput ratio to expect, and unlike req/s it hardly moves with outside load.`,
    );
    lines.push("");
    lines.push(
      `- Goal, E2EE costs ≤ 10% throughput at 1 KiB: sealed does ${pct(r)} of plain's req/s at 100 in flight (median over rounds of the ratio within a round; ` +
        `medians ${fmtInt(q["1k-tp"].rps)} vs ${fmtInt(p["1k-tp"].rps)}), a cost of ${pct(1 - r)} — ${verdict(r >= 0.9)}; by CPU per round trip, sealed needs ` +
        `${(1 / cpuRatio).toFixed(2)}× plain's (${fmtInt(q["1k-tp"].cpuAll)} vs ${fmtInt(p["1k-tp"].cpuAll)} µs), i.e. ${pct(cpuRatio)} of the throughput — ${verdict(cpuRatio >= 0.9)}. ` +
        `At 64 KiB: ${pct(e2ee.ratios["64k-tp"])} of plain's req/s. Outside load during this phase: ${e2ee.otherCores.toFixed(2)} cores on average` +
        (loaded ? " — enough to move req/s between rounds: trust the CPU ratio over the req/s ratio for this run." : "."),
    );
    lines.push(
      `- The crypto alone (bench process, one \`SecureChannel\` pair, JSON and base64url included): ` +
        Object.entries(e2ee.crypto)
          .map(
            ([bytes, c]) =>
              `${Number(bytes) >= 1024 ? `${Number(bytes) / 1024} KiB` : `${bytes} B`} params: seal ${c.seal.toFixed(1)} µs, open ${c.open.toFixed(1)} µs (sealed payload ${fmtInt(c.payloadBytes)} B)`,
          )
          .join("; ") +
        ". A sealed round trip runs a seal and an open on each end.",
    );
    lines.push("");
  }
  if (extra.pairing) {
    const g = extra.pairing;
    const cell = (x) => `${ms(x.median)} | ${ms(x.max)}`;
    lines.push(`### Pairing end to end (${g.count} pairings)`);
    lines.push("");
    lines.push(
      "A running `ora-agent start` and, per pairing, `ora-agent pair --yes --no-qr --relay … --state-dir …` (the same state directory) in its own process. " +
        "The bench reads the code from its stdout, pairs with `pairDevice()` of @ora/protocol (Node's WebSocket), connects with `OraClient`, and sends `ping`: " +
        "the client's first request runs the end-to-end handshake, then the sealed ping is answered by the agent through the relay.",
    );
    lines.push("");
    lines.push("| step | median ms | max ms |");
    lines.push("|---|---:|---:|");
    lines.push(`| \`ora-agent pair\` spawned → code on its stdout | ${cell(g.start)} |`);
    lines.push(`| claim → paired (PAKE exchange, the agent's confirmation, device credential minted) | ${cell(g.claim)} |`);
    lines.push(`| paired → client connected (welcome) | ${cell(g.connect)} |`);
    lines.push(`| connected → handshake + sealed ping answered | ${cell(g.ping)} |`);
    lines.push(`| **claim start → E2EE ready** | ${cell(g.total)} |`);
    lines.push(`| process start → E2EE ready | ${cell(g.withStart)} |`);
    lines.push("");
    lines.push(
      `- Goal, pairing (code → paired, E2EE ready) ≤ 1 s on loopback: median ${ms(g.total.median)} ms, max ${ms(g.total.max)} ms from the claim — ${verdict(g.total.max <= 1000)}; ` +
        `counting the \`pair\` process's start as well: median ${ms(g.withStart.median)} ms, max ${ms(g.withStart.max)} ms — ${g.withStart.max <= 1000 ? "also within 1 s" : "over 1 s"}. ` +
        `Outside load during this phase: ${g.otherCores.toFixed(2)} cores on average.`,
    );
    lines.push("");
  }
  if (extra.tools) {
    const t = extra.tools;
    lines.push("### A LOW tool round trip through the real agent");
    lines.push("");
    lines.push(
      "One sealed session to the real agent, 1 request in flight, the two methods alternating in runs of " +
        `${LATENCY_TOTAL.toLocaleString("en-US")} (after a warm-up of a tenth as many), ${ROUNDS} rounds: \`ping\` (a built-in handler: no policy, no audit) and ` +
        '`tools.call {name:"time.now"}` (name check, policy verdict, rate limit, args canonicalized and hashed, schema check, the tool, and the audit rows, ' +
        "each its own SQLite transaction in WAL mode). Both include the client's seal and open and the agent's open and seal.",
    );
    lines.push("");
    lines.push("| method | p50 ms (min–max) | p99 ms | req/s | agent CPU µs/req |");
    lines.push("|---|---:|---:|---:|---:|");
    for (const [name, r] of [
      ["`ping`", t.ping],
      ["`tools.call` time.now", t.tool],
    ]) {
      lines.push(
        `| ${name} | ${r.p50.toFixed(3)} (${r.p50Min.toFixed(3)}–${r.p50Max.toFixed(3)}) | ${r.p99.toFixed(3)} | ${fmtInt(r.rps)} | ${r.cpuPeer.toFixed(0)} |`,
      );
    }
    lines.push("");
    lines.push(
      `- Goal, a LOW tool round trip ≤ 2 ms p50 on loopback: ${t.tool.p50.toFixed(3)} ms — ${verdict(t.tool.p50 <= 2)}. ` +
        `\`tools.call\` adds ${(t.tool.p50 - t.ping.p50).toFixed(3)} ms p50 over \`ping\` on the same session ` +
        `(${(t.tool.cpuPeer - t.ping.cpuPeer).toFixed(0)} µs of agent CPU per call): the safety core (policy + audit) and the tool's own run. ` +
        (t.auditPerCall !== undefined ? `The agent wrote ${t.auditPerCall.toFixed(2)} audit rows per call (counted in its database). ` : "") +
        `\`bench/audit.mjs\`, the audit write alone: ${t.audit.usPerRow} µs per row (${fmtInt(t.audit.rowsPerSec)} rows/s). ` +
        `The \`time.now\` tool's own run (a new \`Intl.DateTimeFormat\` per call), timed alone in the bench process: ${t.toolUs.toFixed(0)} µs. ` +
        `Outside load during this phase: ${t.otherCores.toFixed(2)} cores on average.`,
    );
    lines.push("");
  }
  return lines.join("\n");
}

function renderReport(results, extra, machine, seconds) {
  const lines = [];
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${ROUNDS} rounds per wire mode, ${Math.round(seconds)} s in all. ` +
      "Medians over rounds; req/s and the p50 at 1 in flight also as (min–max over rounds).",
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler} (miniflare ${machine.miniflare}); ws ${machine.ws}`);
  if (results.length)
    lines.push(
      `- Load: ${TOTAL.toLocaleString("en-US")} round trips per throughput run, ${LATENCY_TOTAL.toLocaleString("en-US")} at 1 in flight, each after a warm-up of a tenth as many; 64 B echo params.`,
    );
  let busiest = 0;
  for (const r of results) {
    const { text, others } = renderWire(r);
    busiest = Math.max(busiest, others);
    lines.push("");
    lines.push(text);
  }
  const extras = renderExtras(extra);
  if (extras) {
    lines.push("");
    lines.push(extras.trimEnd());
  }
  if (busiest > 0.25) {
    lines.push("");
    lines.push(
      `**Caution:** other processes used up to ${busiest.toFixed(2)} of the ${machine.cores} cores during some runs; absolute numbers from this run are lower and noisier than on a quiet machine.`,
    );
  }
  return lines.join("\n");
}

const START = "<!-- bench:results:start (written by `npm run bench`) -->";
const END = "<!-- bench:results:end -->";
const SECRETARY_START = "<!-- bench:secretary:start (written by `npm run bench -- --only secretary` and full runs) -->";
const SECRETARY_END = "<!-- bench:secretary:end -->";
const APPROVALS_START = "<!-- bench:approvals:start (written by `npm run bench -- --only approvals` and full runs) -->";
const APPROVALS_END = "<!-- bench:approvals:end -->";
const REMINDERS_START = "<!-- bench:reminders:start (written by `npm run bench -- --only reminders` and full runs) -->";
const REMINDERS_END = "<!-- bench:reminders:end -->";
const LOCKDOWN_START = "<!-- bench:lockdown:start (written by `npm run bench -- --only lockdown` and full runs) -->";
const LOCKDOWN_END = "<!-- bench:lockdown:end -->";
const WEB_START = "<!-- bench:web:start (written by `npm run bench -- --only web` and full runs) -->";
const WEB_END = "<!-- bench:web:end -->";
const ISOLATION_START = "<!-- bench:isolation:start (written by `npm run bench -- --only isolation` and full runs) -->";
const ISOLATION_END = "<!-- bench:isolation:end -->";
const MEMORY_START = "<!-- bench:memory:start (written by `npm run bench -- --only memory` and full runs) -->";
const MEMORY_END = "<!-- bench:memory:end -->";
const TRANSFER_START = "<!-- bench:transfer:start (written by `npm run bench -- --only transfer` and full runs) -->";
const TRANSFER_END = "<!-- bench:transfer:end -->";

/** Replaces the text between `start` and `end` in docs/BENCH.md (appends the section if they are missing). */
function writeSection(start, end, report, what) {
  const file = join(root, "docs/BENCH.md");
  const section = `${start}\n${report}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Relay benchmark\n";
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  writeFileSync(file, a !== -1 && b > a ? text.slice(0, a) + section + text.slice(b + end.length) : `${text.trimEnd()}\n\n${section}\n`);
  log(`bench: ${what} written to docs/BENCH.md`);
}

/** Waits (up to QUIET_WAIT s) until processes outside the bench use < 0.3 cores over 2 s; returns what it saw. */
async function awaitQuiet(what) {
  const until = Date.now() + QUIET_WAIT * 1000;
  for (;;) {
    const m0 = machineBusyTicks();
    const b0 = treeTicks();
    await new Promise((r) => setTimeout(r, 2000));
    const other = ((machineBusyTicks() - m0 - (treeTicks() - b0)) * TICK_MS) / 1000 / 2;
    if (other < 0.3) return;
    if (Date.now() > until) return log(`bench: ${what}: other processes still use ${other.toFixed(2)} cores after ${QUIET_WAIT} s; going on`);
    log(`bench: ${what}: other processes use ${other.toFixed(2)} cores; waiting for a quieter machine`);
  }
}

/** Phases other than the relay comparison register what they start here, so every exit path stops it. */
function track(stoppable) {
  targets.push(stoppable);
  return stoppable;
}

async function main() {
  const started = Date.now();
  log(`bench: rounds=${ROUNDS}, total=${TOTAL}, latency total=${LATENCY_TOTAL}, wire=${WIRE}, phases=${ONLY.join(",")}${DIAG ? ", diagnostics" : ""}`);
  const results = [];
  if (ONLY.includes("relay")) {
    for (const wire of WIRE === "both" ? ["plain", "deflate"] : [WIRE]) {
      await awaitQuiet(`wire mode ${wire}`);
      results.push(await benchWire(wire));
    }
  }
  const extra = {};
  if (ONLY.includes("e2ee")) {
    await awaitQuiet("e2ee");
    extra.e2ee = await withLoad(() => benchE2ee(unstable_startWorker, { rounds: ROUNDS, log, track }));
    await stopTargets();
  }
  if (ONLY.includes("pairing")) {
    await awaitQuiet("pairing");
    extra.pairing = await withLoad(() => benchPairing(unstable_startWorker, { count: PAIRINGS, log, track }));
    await stopTargets();
  }
  if (ONLY.includes("tools")) {
    await awaitQuiet("tools");
    extra.tools = await withLoad(() => benchTools(unstable_startWorker, { rounds: ROUNDS, total: LATENCY_TOTAL, log, track }));
    await stopTargets();
  }
  let secretary;
  if (ONLY.includes("secretary")) {
    await awaitQuiet("secretary");
    const runs = SECRETARY_RUNS;
    secretary = await withLoad(() => benchSecretary(unstable_startWorker, { runs, warmup: Math.ceil(runs / 10), pieces: PIECES, log, track }));
    await stopTargets();
  }
  let approvals;
  if (ONLY.includes("approvals")) {
    await awaitQuiet("approvals");
    const runs = APPROVAL_RUNS;
    approvals = await withLoad(() => benchApprovals(unstable_startWorker, { runs, warmup: Math.ceil(runs / 10), log, track }));
    await stopTargets();
  }
  let reminders;
  if (ONLY.includes("reminders")) {
    await awaitQuiet("reminders");
    const runs = REMINDER_RUNS;
    reminders = await withLoad(() => benchReminders(unstable_startWorker, { runs, warmup: Math.ceil(runs / 10), asleep: REMINDER_DEPOSITS, log, track }));
    await stopTargets();
  }
  let lockdown;
  if (ONLY.includes("lockdown")) {
    await awaitQuiet("lockdown");
    lockdown = await withLoad(() => benchLockdown(unstable_startWorker, { counts: [20, 100], runs: LOCKDOWN_RUNS, log, track }));
    await stopTargets();
  }
  let web;
  if (ONLY.includes("web")) {
    await awaitQuiet("web");
    web = await withLoad(() => benchWeb(unstable_startWorker, { runs: WEB_RUNS, log, track }));
    await stopTargets();
  }
  let isolation;
  if (ONLY.includes("isolation")) {
    await awaitQuiet("isolation");
    isolation = await withLoad(() => benchIsolation(unstable_startWorker, { rounds: ROUNDS, total: ISOLATION_TOTAL, log, track }));
    await stopTargets();
  }
  let memory;
  if (ONLY.includes("memory")) {
    await awaitQuiet("memory");
    memory = await withLoad(() => benchMemory(unstable_startWorker, { steps: MEMORY_STEPS, log, track }));
    await stopTargets();
  }
  let transfer;
  if (ONLY.includes("transfer")) {
    await awaitQuiet("transfer");
    transfer = await withLoad(() => benchTransfer(unstable_startWorker, { sizes: TRANSFER_SIZES, rounds: ROUNDS, log, track }));
    await stopTargets();
  }
  const machine = machineInfo();
  if (ONLY.some((p) => !OWN_SECTION.includes(p))) {
    const report = renderReport(results, extra, machine, (Date.now() - started) / 1000);
    process.stdout.write(`\n${report}\n`);
    // The Results section is one run of every phase: a partial run would replace the phases it skipped
    // with nothing, so it only prints.
    const complete = PHASES.filter((p) => !OWN_SECTION.includes(p)).every((p) => ONLY.includes(p));
    if (WRITE && complete) writeSection(START, END, report, "Results");
    else if (WRITE) log("bench: a partial run; the Results section of docs/BENCH.md is left as it was");
  }
  if (secretary) {
    const report = renderSecretary(secretary, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(SECRETARY_START, SECRETARY_END, report, "secretary");
  }
  if (approvals) {
    const report = renderApprovals(approvals, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(APPROVALS_START, APPROVALS_END, report, "approvals");
  }
  if (reminders) {
    const report = renderReminders(reminders, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(REMINDERS_START, REMINDERS_END, report, "reminders");
  }
  if (lockdown) {
    const report = renderLockdown(lockdown, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(LOCKDOWN_START, LOCKDOWN_END, report, "lockdown");
  }
  if (web) {
    const report = renderWeb(web, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(WEB_START, WEB_END, report, "web");
  }
  if (isolation) {
    const report = renderIsolation(isolation);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(ISOLATION_START, ISOLATION_END, report, "isolation");
  }
  if (memory) {
    const report = renderMemory(memory, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(MEMORY_START, MEMORY_END, report, "memory");
  }
  if (transfer) {
    const report = renderTransfer(transfer, machine);
    process.stdout.write(`\n${report}\n`);
    if (WRITE) writeSection(TRANSFER_START, TRANSFER_END, report, "transfer");
  }
}

let exitCode = 0;
try {
  await main();
} catch (error) {
  log(`bench failed: ${error.stack ?? error}`);
  exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(deadline);
}
process.exitCode = exitCode;
