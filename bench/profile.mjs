/**
 * CPU profile of the Worker's JavaScript while it relays (diagnostics; not part of `npm run bench`).
 *
 *   node bench/profile.mjs ora|bare [--total N] [--out file.cpuprofile]
 *
 * Starts one target with the V8 inspector on (through wrangler's inspector proxy), runs a warm-up and
 * then N round trips (default 20,000) at 100 in flight on one session without permessage-deflate,
 * recording a sampling CPU profile of the Worker's isolate (the Worker and its Durable Objects), and
 * prints the functions with the most self time. The inspector itself slows the Worker down: use
 * the shares, not the absolute rates. Open the .cpuprofile in Chrome DevTools for the full tree.
 */
import { writeFileSync } from "node:fs";
import { wranglerEnv } from "../scripts/wrangler-env.mjs";
import { inspector } from "./lib/cdp.mjs";
import { run } from "./lib/load.mjs";
import { stopAll } from "./lib/procs.mjs";
import { startBare, startOra } from "./lib/targets.mjs";

Object.assign(process.env, wranglerEnv());
const { unstable_startWorker } = await import("wrangler");

const argv = process.argv.slice(2);
const which = argv[0] ?? "ora";
const total = Number(argv[argv.indexOf("--total") + 1]) || 20_000;
const out = argv.includes("--out") ? argv[argv.indexOf("--out") + 1] : undefined;

function topSelf(profile, n = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let sum = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url ? `${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : ""}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    sum += dt;
  }
  const busy = sum - (self.get("(idle)") ?? 0);
  const rows = [...self.entries()]
    .filter(([k]) => k !== "(idle)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
  return { busyMs: busy / 1000, totalMs: sum / 1000, rows: rows.map(([k, v]) => ({ share: v / busy, ms: v / 1000, fn: k })) };
}

const options = { deflate: false, inspect: true };
const t = which === "bare" ? await startBare(unstable_startWorker, options) : await startOra(unstable_startWorker, options);
try {
  const s = await t.session();
  await run([s], { total: Math.ceil(total / 10), inflight: 100, timeoutMs: 120_000 });
  const cdp = await inspector(t.inspectorUrl);
  await cdp.call("Profiler.enable");
  await cdp.call("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.call("Profiler.start");
  const r = await run([s], { total, inflight: 100, timeoutMs: 180_000 });
  const { profile } = await cdp.call("Profiler.stop");
  cdp.close();
  await s.close();
  if (out) writeFileSync(out, JSON.stringify(profile));
  const top = topSelf(profile);
  console.log(
    `${t.label}: ${Math.round(r.rps)} req/s under the profiler; JS busy ${top.busyMs.toFixed(0)} ms of ${top.totalMs.toFixed(0)} ms sampled = ${((top.busyMs * 1000) / total).toFixed(1)} µs per round trip`,
  );
  for (const row of top.rows)
    console.log(`${(100 * row.share).toFixed(1).padStart(5)}%  ${((row.ms * 1000) / total).toFixed(2).padStart(6)} µs/req  ${row.fn}`);
} finally {
  await t.stop();
  await stopAll();
}
