/**
 * The bench's scenarios beyond the relay comparison (goals: docs/BENCH.md), each on its own fresh Worker:
 *
 *   e2ee     E2EE cost: the real relay with two echo peers connected as two Nodes, one echoing
 *            payloads as they are, one opening and re-sealing them; clients in clear vs sealed
 *   pairing  pairing end to end: the real `ora-agent pair` process, pairDevice() from @ora/protocol,
 *            then OraClient (the client library) handshakes and a sealed `ping` is answered
 *   tools    a LOW tool round trip through the real agent (policy + audit in SQLite) vs `ping` on the
 *            same session, and bench/audit.mjs (the audit write alone)
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { acceptHandshakeV2, beginHandshakeV2, generateKeyPair, OraClient, pairDevice, staticKey } from "@ora/protocol";
import { median, quantile, run } from "./load.mjs";
import { spawnNode } from "./procs.mjs";
import { childPids, procStat, stack, startAgent, startEchoOnOra, startOra, startOraWorker } from "./targets.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const AGENT_BIN = join(root, "node-agent/bin/ora-agent.js");
const TICK_MS = 10;
const RUN_TIMEOUT_MS = 180_000;

/** A printable ASCII string of exactly `bytes` bytes (no JSON escapes). */
export function paramsOf(bytes) {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
  let s = "";
  while (s.length < bytes) s += alphabet;
  return s.slice(0, bytes);
}

const ticks = (pids) => pids.reduce((sum, pid) => sum + (procStat(pid)?.ticks ?? 0), 0);

/** One measured closed-loop run after a warm-up; CPU µs per round trip of the client and the peer. */
async function measure(sessions, { total, warmup, inflight, peerPids }) {
  await run(sessions, { total: warmup, inflight, timeoutMs: RUN_TIMEOUT_MS });
  const all = () => ticks([process.pid, ...childPids()]);
  const c0 = ticks([process.pid]);
  const p0 = ticks(peerPids);
  const a0 = all();
  const r = await run(sessions, { total, inflight, timeoutMs: RUN_TIMEOUT_MS });
  const perReq = (t) => (t * TICK_MS * 1000) / total;
  return {
    rps: r.rps,
    p50: quantile(r.latencies, 0.5),
    p99: quantile(r.latencies, 0.99),
    cpuClient: perReq(ticks([process.pid]) - c0),
    cpuPeer: perReq(ticks(peerPids) - p0),
    // Everything the bench runs: client, both workerd processes, the answering peers.
    cpuAll: perReq(all() - a0),
  };
}

function summarizeRuns(list) {
  const pick = (f) => median(list.map(f));
  return {
    rps: pick((r) => r.rps),
    rpsMin: Math.min(...list.map((r) => r.rps)),
    rpsMax: Math.max(...list.map((r) => r.rps)),
    p50: pick((r) => r.p50),
    p50Min: Math.min(...list.map((r) => r.p50)),
    p50Max: Math.max(...list.map((r) => r.p50)),
    p99: pick((r) => r.p99),
    cpuClient: pick((r) => r.cpuClient),
    cpuPeer: pick((r) => r.cpuPeer),
    cpuAll: pick((r) => r.cpuAll),
  };
}

// ---------------------------------------------------------------- E2EE cost

export const E2EE_SCENARIOS = [
  { key: "1k-tp", bytes: 1024, inflight: 100, total: 10_000 },
  { key: "1k-lat", bytes: 1024, inflight: 1, total: 1_000 },
  { key: "64k-tp", bytes: 65_536, inflight: 8, total: 1_000 },
  { key: "64k-lat", bytes: 65_536, inflight: 1, total: 300 },
];

/** µs per SecureChannel.seal and per open of a {k:"req", body:{method:"echo", params}} message, in this process. */
export async function cryptoCost(sizes = [64, 1024, 65_536]) {
  const agent = generateKeyPair();
  const device = generateKeyPair();
  const hs = await beginHandshakeV2({ device: "d", deviceKey: staticKey(device.secretKey), agentPublicKey: agent.publicKey });
  const { answer, channel: agentEnd } = await acceptHandshakeV2(hs.hello, { agentKey: staticKey(agent.secretKey), devicePublicKey: device.publicKey });
  const deviceEnd = await hs.finish(answer);
  const out = {};
  for (const bytes of sizes) {
    const message = { k: "req", body: { method: "echo", params: paramsOf(bytes) } };
    const n = bytes > 10_000 ? 300 : 5_000;
    const sealed = [];
    for (let i = 0; i < n; i++) agentEnd.open(deviceEnd.seal(message).payload); // warm-up
    let t = performance.now();
    for (let i = 0; i < n; i++) sealed.push(deviceEnd.seal(message).payload);
    const seal = ((performance.now() - t) * 1000) / n;
    t = performance.now();
    for (const payload of sealed) agentEnd.open(payload);
    const open = ((performance.now() - t) * 1000) / n;
    out[bytes] = { seal, open, payloadBytes: sealed[0].length };
  }
  return out;
}

export async function benchE2ee(startWorkerFn, { rounds, log, track }) {
  log("bench: E2EE cost — starting the relay with a plain and a sealed echo peer");
  const env = track(await startEchoOnOra(startWorkerFn));
  try {
    const modes = [env.plain, env.sealed];
    // One session per mode and payload size; each answer is opened (sealed) or parsed (plain) and checked.
    const sessions = new Map();
    for (const t of modes) {
      for (const bytes of new Set(E2EE_SCENARIOS.map((s) => s.bytes))) {
        const params = paramsOf(bytes);
        const s = await t.session({ body: { method: "echo", params }, check: (b) => b?.params?.length === bytes });
        await run([s], { total: 1, inflight: 1, timeoutMs: 10_000 });
        if (s.lastAnswer?.method !== "echo" || s.lastAnswer.params !== params) throw new Error(`${t.name}: the echo came back altered`);
        sessions.set(`${t.name}/${bytes}`, s);
      }
      log(`bench: ${t.label} answers`);
    }
    const rows = Object.fromEntries(modes.map((t) => [t.name, Object.fromEntries(E2EE_SCENARIOS.map((sc) => [sc.key, []]))]));
    for (let round = 0; round < rounds; round++) {
      for (const sc of E2EE_SCENARIOS) {
        for (const t of round % 2 ? [...modes].reverse() : modes) {
          const s = sessions.get(`${t.name}/${sc.bytes}`);
          const row = await measure([s], { total: sc.total, warmup: Math.ceil(sc.total / 10), inflight: sc.inflight, peerPids: t.pids });
          rows[t.name][sc.key].push(row);
          log(
            `e2ee ${round + 1}/${rounds} ${sc.key.padEnd(7)} ${t.name.padEnd(12)} ${Math.round(row.rps).toString().padStart(6)} req/s  p50 ${row.p50.toFixed(2)} ms  p99 ${row.p99.toFixed(2)} ms  cpu µs/req client ${row.cpuClient.toFixed(0)} peer ${row.cpuPeer.toFixed(0)}`,
          );
        }
      }
    }
    for (const s of sessions.values()) await s.close();
    // Plain and sealed run back to back in each round: the ratio within a round is what load moves least.
    const ratios = Object.fromEntries(
      E2EE_SCENARIOS.map((sc) => [sc.key, median(rows["echo-sealed"][sc.key].map((r, i) => r.rps / rows["echo-plain"][sc.key][i].rps))]),
    );
    const summary = { crypto: await cryptoCost(), ratios };
    for (const [name, byKey] of Object.entries(rows)) summary[name] = Object.fromEntries(Object.entries(byKey).map(([k, list]) => [k, summarizeRuns(list)]));
    return summary;
  } finally {
    await env.stop();
  }
}

// ---------------------------------------------------------------- pairing

/** Resolves with the pairing code once the pair process prints it (event-driven, no polling). */
function codeFrom(child, ms = 15_000) {
  return new Promise((resolve, reject) => {
    let text = "";
    const done = (error, value) => {
      clearTimeout(timer);
      child.proc.stdout.off("data", onData);
      child.proc.off("exit", onExit);
      return error ? reject(error) : resolve(value);
    };
    const onData = (d) => {
      text += d;
      const m = /Pairing code: (\S+)/.exec(text);
      if (m) done(null, m[1]);
    };
    const onExit = () => done(new Error(`ora-agent pair exited before showing a code:\n${child.output()}`));
    const timer = setTimeout(() => done(new Error(`no pairing code within ${ms} ms:\n${child.output()}`)), ms);
    child.proc.stdout.on("data", onData);
    child.proc.once("exit", onExit);
  });
}

export async function benchPairing(startWorkerFn, { count, log, track }) {
  log(`bench: pairing — ${count} pairings with the real agent`);
  const cleanup = stack();
  track({ name: "pairing", stop: cleanup.stop });
  try {
    const { worker, url } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    // The PC's agent runs (`ora-agent start`); each pairing runs `ora-agent pair` on the same state
    // directory, as a user does in a second terminal. The running agent picks up devices.json.
    const { stateDir } = await startAgent(url, cleanup);
    const results = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const pair = spawnNode([AGENT_BIN, "pair", "--yes", "--no-qr", "--relay", url, "--state-dir", stateDir], { name: "ora-agent pair" });
      try {
        const code = await codeFrom(pair);
        const tCode = performance.now();
        const key = staticKey(generateKeyPair().secretKey);
        const { identity } = await pairDevice({ code, relay: url, name: `bench-${i + 1}`, key, timeoutMs: 15_000 });
        const tPaired = performance.now();
        const client = await OraClient.connect({ identity, timeoutMs: 10_000 });
        const tConnected = performance.now();
        let answer;
        try {
          answer = await client.request("ping");
        } finally {
          client.close();
        }
        const tReady = performance.now();
        if (answer?.pong !== true) throw new Error(`pairing ${i + 1}: ping answered ${JSON.stringify(answer)}`);
        const exit = await pair.exited;
        if (exit !== 0) throw new Error(`ora-agent pair exited with ${exit}:\n${pair.output()}`);
        const row = {
          start: tCode - t0,
          claim: tPaired - tCode,
          connect: tConnected - tPaired,
          ping: tReady - tConnected,
          total: tReady - tCode,
          withStart: tReady - t0,
        };
        results.push(row);
        log(
          `pairing ${i + 1}/${count}: code shown ${row.start.toFixed(0)} ms after spawn; claim → paired ${row.claim.toFixed(1)} ms, connect ${row.connect.toFixed(1)} ms, ` +
            `handshake + sealed ping ${row.ping.toFixed(1)} ms; claim → E2EE ready ${row.total.toFixed(1)} ms, with process start ${row.withStart.toFixed(0)} ms`,
        );
      } finally {
        await pair.stop();
      }
    }
    const stat = (f) => ({ median: median(results.map(f)), max: Math.max(...results.map(f)), min: Math.min(...results.map(f)) });
    return {
      count,
      start: stat((r) => r.start),
      claim: stat((r) => r.claim),
      connect: stat((r) => r.connect),
      ping: stat((r) => r.ping),
      total: stat((r) => r.total),
      withStart: stat((r) => r.withStart),
    };
  } finally {
    await cleanup.stop();
  }
}

// ---------------------------------------------------------------- tools

export async function benchTools(startWorkerFn, { rounds, total, log, track }) {
  log("bench: LOW tool round trip — starting the relay and the real agent");
  const t = track(await startOra(startWorkerFn, { deflate: false, name: "ora-tools" }));
  const ping = { method: "ping" };
  const tool = { method: "tools.call", params: { name: "time.now" } };
  const session = await t.session({ body: ping });
  try {
    // Both must be real answers: {"ok":true,…} from the handler, not a refusal.
    await run([session], { total: 1, inflight: 1, timeoutMs: 10_000 });
    if (session.lastAnswer?.result?.pong !== true) throw new Error(`ping answered ${JSON.stringify(session.lastAnswer)}`);
    session.codec.setBody(tool);
    await run([session], { total: 1, inflight: 1, timeoutMs: 10_000 });
    const first = session.lastAnswer;
    if (first?.ok !== true || first.result === undefined) throw new Error(`tools.call time.now answered ${JSON.stringify(first)}`);
    log(`bench: tools.call time.now answers ${JSON.stringify(first.result).slice(0, 200)}`);

    const auditRows = () => {
      const db = new Database(join(t.stateDir, "ora.db"), { readonly: true, fileMustExist: true });
      try {
        return db.prepare("SELECT COUNT(*) AS n FROM audit").get().n;
      } finally {
        db.close();
      }
    };
    let auditBefore;
    try {
      auditBefore = auditRows();
    } catch (error) {
      auditBefore = undefined;
      log(`bench: cannot read the agent's audit table (${error.message}); audit rows per call not reported`);
    }
    const rows = { ping: [], tool: [] };
    let toolCalls = 0;
    for (let round = 0; round < rounds; round++) {
      for (const which of round % 2 ? ["tool", "ping"] : ["ping", "tool"]) {
        session.codec.setBody(which === "ping" ? ping : tool);
        const row = await measure([session], { total, warmup: Math.ceil(total / 10), inflight: 1, peerPids: t.pids });
        if (which === "tool") toolCalls += total + Math.ceil(total / 10);
        rows[which].push(row);
        log(
          `tools ${round + 1}/${rounds} ${which.padEnd(4)} ${Math.round(row.rps).toString().padStart(6)} req/s  p50 ${row.p50.toFixed(3)} ms  p99 ${row.p99.toFixed(3)} ms  agent cpu µs/req ${row.cpuPeer.toFixed(0)}`,
        );
      }
    }
    let auditPerCall;
    if (auditBefore !== undefined) {
      try {
        auditPerCall = (auditRows() - auditBefore) / toolCalls;
      } catch {
        auditPerCall = undefined;
      }
    }
    return { ping: summarizeRuns(rows.ping), tool: summarizeRuns(rows.tool), auditPerCall, audit: runAuditBench(log), toolUs: await toolAlone() };
  } finally {
    await session.close();
    await t.stop();
  }
}

/** µs per run of the time.now tool itself, in this process (no policy, no audit). */
async function toolAlone() {
  const { timeNowTool } = await import("../../node-agent/dist/tools/time.js");
  const tool = timeNowTool();
  for (let i = 0; i < 300; i++) await tool.run({}, {});
  const n = 2000;
  const t = performance.now();
  for (let i = 0; i < n; i++) await tool.run({}, {});
  return ((performance.now() - t) * 1000) / n;
}

/** bench/audit.mjs in its own process: the cost of one audit write alone. */
function runAuditBench(log) {
  const out = execFileSync(process.execPath, [join(root, "bench/audit.mjs"), "20000"], { encoding: "utf8", timeout: 120_000 });
  log(`audit.mjs: ${out.trim().replace(/\n/g, "; ")}`);
  const write = /audit write: ([\d.]+) µs per row \((\d+) rows, (\d+) rows\/s\)/.exec(out);
  return { text: out.trim(), usPerRow: write ? Number(write[1]) : NaN, rowsPerSec: write ? Number(write[3]) : NaN };
}
