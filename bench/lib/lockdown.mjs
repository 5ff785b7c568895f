/**
 * The lockdown phase: how soon one tap ends every other session. The real relay (workerd) and the real
 * agent; the tapping owner device is an OraClient (E2EE), and N other sessions (N devices, one plain
 * relay session each: the relay closes a session whatever it carries) are connected before each run.
 *
 *   answered   `lockdown.enter` sent → its answer (the agent wrote the state, cancelled what waited,
 *              and the relay's PUT /v1/node/lockdown returned)
 *   lastClosed `lockdown.enter` sent → the last of the N other sessions has its close (4012)
 *
 * After each run `ora-agent unlock` (the PC's command line) ends it and the N sessions connect again.
 */
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { OraClient } from "@ora/protocol";
import WsWebSocket from "ws";
import { quantile as sortedQuantile } from "./load.mjs";
import { mintDevice, provisionAgentDevice } from "./secure-session.mjs";
import { AGENT_BIN, stack, startAgent, startOraWorker } from "./targets.mjs";

const LOCKED_DOWN = 4012;
const quantile = (list, q) =>
  sortedQuantile(
    [...list].sort((a, b) => a - b),
    q,
  );

class PlainWebSocket extends WsWebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/** A relay session that said hello; `closed` resolves with [time, code] when the relay closes it. */
function session(url, credential) {
  const target = new URL("/v1/client/connect", url);
  target.protocol = "ws:";
  const ws = new WsWebSocket(target, ["ora.v1"], { headers: { Authorization: `Bearer ${credential}` }, perMessageDeflate: false });
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve([performance.now(), code])));
  const welcomed = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no welcome within 10 s")), 10_000);
    ws.once("open", () => ws.send('{"t":"hello","v":1}'));
    ws.once("message", (data) => {
      clearTimeout(timer);
      const header = JSON.parse(String(data).split("\n")[0]);
      if (header.t === "welcome") resolve();
      else reject(new Error(`expected welcome, got ${String(data).slice(0, 200)}`));
    });
    ws.once("error", reject);
  });
  return welcomed.then(() => ({ ws, closed }));
}

export async function benchLockdown(startWorkerFn, { counts, runs, log, track }) {
  log(`bench: lockdown — the real relay and the real agent, ${counts.join(" and ")} other sessions, ${runs} runs each`);
  const cleanup = stack();
  track({ name: "lockdown", stop: cleanup.stop });
  const started = performance.now();
  try {
    const { worker, url } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    const { stateDir, node } = await startAgent(url, cleanup);
    const device = await provisionAgentDevice(url, node.credential, stateDir, "bench-owner");
    const identity = { relay: url, device: device.id, credential: device.credential, key: device.key, agentPublicKey: device.agentPublicKey };
    const tapper = await OraClient.connect({ identity, WebSocket: globalThis.WebSocket ?? PlainWebSocket, timeoutMs: 10_000 });
    cleanup.push(async () => tapper.close());
    await tapper.request("ping");
    const others = [];
    for (let i = 0; i < Math.max(...counts); i++) others.push(await mintDevice(url, node.credential, `bench-other-${i}`, i % 2 ? "guest" : "owner"));

    const results = [];
    for (const n of counts) {
      const samples = { answered: [], lastClosed: [] };
      for (let run = 0; run < runs; run++) {
        const sessions = await Promise.all(others.slice(0, n).map((d) => session(url, d.credential)));
        const t0 = performance.now();
        const entered = await tapper.request("lockdown.enter");
        const answered = performance.now() - t0;
        const closes = await Promise.all(sessions.map((s) => s.closed));
        if (entered.closedSessions !== n) throw new Error(`the relay closed ${entered.closedSessions} sessions, not ${n}`);
        if (closes.some(([, code]) => code !== LOCKED_DOWN)) throw new Error("a session closed with another code than 4012");
        samples.answered.push(answered);
        samples.lastClosed.push(Math.max(...closes.map(([at]) => at)) - t0);
        execFileSync(process.execPath, [AGENT_BIN, "unlock", "--state-dir", stateDir], { stdio: "ignore" });
      }
      const summary = Object.fromEntries(
        Object.entries(samples).map(([k, v]) => [k, { n: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: Math.max(...v) }]),
      );
      log(`bench: lockdown with ${n} other sessions p50 — answered ${summary.answered.p50.toFixed(1)} ms, last closed ${summary.lastClosed.p50.toFixed(1)} ms`);
      results.push({ sessions: n, ...summary });
    }
    return { runs, seconds: (performance.now() - started) / 1000, results };
  } finally {
    await cleanup.stop();
  }
}

const ms = (v) => v.toFixed(1);

export function renderLockdown(r, machine) {
  const lines = [];
  lines.push("### Lockdown: from the tap to the last other session closed");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(r.seconds)} s: ${r.runs} lockdowns per row, each ended by \`ora-agent unlock\` before the next; ` +
      "the tapping owner device is an OraClient (E2EE) and stays connected; the other sessions (one device each, owners and guests) are connected again before every run. The real relay (workerd) and the real agent.",
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler}`);
  lines.push("");
  lines.push("| other sessions | measured | n | p50 ms | p99 ms | max ms |");
  lines.push("|---:|---|---:|---:|---:|---:|");
  for (const row of r.results) {
    lines.push(
      `| ${row.sessions} | \`lockdown.enter\` sent → its answer | ${row.answered.n} | ${ms(row.answered.p50)} | ${ms(row.answered.p99)} | ${ms(row.answered.max)} |`,
    );
    lines.push(
      `| ${row.sessions} | \`lockdown.enter\` sent → the last other session has its close (4012) | ${row.lastClosed.n} | ${ms(row.lastClosed.p50)} | ${ms(row.lastClosed.p99)} | ${ms(row.lastClosed.max)} |`,
    );
  }
  lines.push("");
  const last = r.results.at(-1);
  lines.push(
    `With ${last.sessions} other sessions the last one is closed ${ms(last.lastClosed.p50)} ms p50 after the tap (slowest ${ms(last.lastClosed.max)} ms): ` +
      "the agent writes the state and cancels what waits, then one PUT /v1/node/lockdown closes every socket in one pass of the Node's object. " +
      `With n = ${r.runs} per row, each p99 is the slowest one. Outside load during this phase: ${r.otherCores.toFixed(2)} cores on average` +
      (r.otherCores > 0.25 ? ` of ${machine.cores}: a noisy machine, whose load moves the tails (p99, max) more than the p50s.` : "."),
  );
  return lines.join("\n");
}
