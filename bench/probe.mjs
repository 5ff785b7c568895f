/**
 * Probes one target quickly (not part of `npm run bench`): 1 and 100 in flight on one session.
 *
 *   node bench/probe.mjs ora|bare|node|bare+sql [--no-deflate] [--direct] [--total N]
 *
 * --no-deflate: the client does not offer permessage-deflate; --direct: bypass wrangler's dev proxy;
 * --config (with ora): another build of the relay, e.g. the diagnostic one.
 */
import { wranglerEnv } from "../scripts/wrangler-env.mjs";
import { quantile, run } from "./lib/load.mjs";
import { stopAll } from "./lib/procs.mjs";
import { startBare, startNodeRelay, startOra } from "./lib/targets.mjs";

Object.assign(process.env, wranglerEnv());
const { unstable_startWorker } = await import("wrangler");

const argv = process.argv.slice(2);
const which = argv[0];
const deflate = !argv.includes("--no-deflate");
const direct = argv.includes("--direct");
const total = Number(argv[argv.indexOf("--total") + 1]) || 20_000;
const configIdx = argv.indexOf("--config");
const t =
  which === "ora"
    ? await startOra(unstable_startWorker, { deflate, direct, ...(configIdx !== -1 ? { config: argv[configIdx + 1] } : {}) })
    : which === "node"
      ? await startNodeRelay({ deflate })
      : await startBare(unstable_startWorker, { deflate, direct, diag: which.split("+")[1] ?? "none" });
try {
  const s = await t.session();
  console.log(`${t.label} at ${t.url}; client extensions: ${JSON.stringify(s.ws.extensions)}`);
  for (const inflight of [1, 100]) {
    const n = inflight === 1 ? Math.ceil(total / 10) : total;
    await run([s], { total: Math.ceil(n / 10), inflight, timeoutMs: 120_000 });
    const r = await run([s], { total: n, inflight, timeoutMs: 120_000 });
    console.log(
      `${inflight} in flight: ${Math.round(r.rps)} req/s, p50 ${quantile(r.latencies, 0.5).toFixed(2)} ms, p99 ${quantile(r.latencies, 0.99).toFixed(2)} ms`,
    );
  }
  if (t.metrics) console.log(JSON.stringify(await t.metrics()));
  await s.close();
} finally {
  await t.stop();
  await stopAll();
}
