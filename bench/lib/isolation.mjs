/**
 * Slow-reader isolation: does one session that stops reading its stream raise another session's
 * latency? The ORA relay with the real agent; session A runs sealed `echo` round trips, 1 in flight.
 *
 *   anchor   A alone
 *   stalled  beside A, session B asks for `echo.stream` (16 KiB pieces, as many as the method allows),
 *            reads its first piece, then stops reading: its socket is paused, so TCP backs up into the
 *            relay. B asks for a new stream before every slice of A's round trips, so that a stream the
 *            relay or the agent gave up on is replaced and the pressure lasts the whole run.
 *
 * Rounds alternate anchor and stalled on the same relay, agent and session A; the report gives A's
 * p50 and p99 (median over rounds) and the ratio stalled / anchor. Goal: p99 at most +20%.
 */
import { quantile, median, run } from "./load.mjs";
import { startOra } from "./targets.mjs";

const SLICE = 200;
const STREAM = { method: "echo.stream", params: { text: "x".repeat(16 * 1024), count: 10_000 } };

async function slices(session, total, between) {
  const all = [];
  for (let done = 0; done < total; done += SLICE) {
    between();
    const r = await run([session], { total: Math.min(SLICE, total - done), inflight: 1, timeoutMs: 60_000 });
    all.push(...r.latencies);
  }
  all.sort((a, b) => a - b);
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), max: all.at(-1) };
}

/** A session that asks for a stream, reads its first piece and then stops reading. */
async function staller(target) {
  // It says credit, as the apps' client does, and grants none: a reader that stopped.
  const b = await target.session({ body: STREAM, check: () => true, credit: true });
  b.onError = null;
  const first = new Promise((resolve) => b.ws.once("message", resolve));
  b.request();
  await first;
  // Nothing is read from here on: the kernel's buffers fill, then the relay's.
  b.ws._socket.pause();
  return b;
}

export async function benchIsolation(startWorkerFn, { rounds = 3, total = 2000, log, track }) {
  const t = track(await startOra(startWorkerFn, { deflate: false }));
  const a = await t.session();
  await run([a], { total: Math.ceil(total / 10), inflight: 1, timeoutMs: 60_000 });
  const rows = { anchor: [], stalled: [] };
  for (let round = 0; round < rounds; round++) {
    const anchor = await slices(a, total, () => {});
    rows.anchor.push(anchor);
    const b = await staller(t);
    try {
      // A's warm-up beside the stalled reader, while the buffers between them fill.
      await slices(a, Math.ceil(total / 10), () => b.request());
      const stalled = await slices(a, total, () => b.request());
      rows.stalled.push(stalled);
      log(
        `isolation ${round + 1}/${rounds}: A alone p50 ${anchor.p50.toFixed(2)} p99 ${anchor.p99.toFixed(2)} ms; ` +
          `beside a stalled reader p50 ${stalled.p50.toFixed(2)} p99 ${stalled.p99.toFixed(2)} ms`,
      );
    } finally {
      b.ws._socket.resume();
      b.ws.terminate();
    }
  }
  const metrics = await t.metrics();
  await a.close();
  const pick = (list, key) => median(list.map((r) => r[key]));
  const summary = Object.fromEntries(
    Object.entries(rows).map(([k, list]) => [k, { p50: pick(list, "p50"), p99: pick(list, "p99"), max: Math.max(...list.map((r) => r.max)) }]),
  );
  return {
    rounds,
    total,
    ...summary,
    drops: metrics.drops ?? {},
    ratioP99: summary.stalled.p99 / summary.anchor.p99,
    ratioP50: summary.stalled.p50 / summary.anchor.p50,
  };
}

export function renderIsolation(r) {
  const lines = [];
  lines.push(`### Slow-reader isolation: one session's latency beside a stalled reader (${r.rounds} rounds)`);
  lines.push("");
  lines.push(
    `The ORA relay and the real agent; session A runs ${r.total.toLocaleString("en-US")} sealed \`echo\` round trips (64 B) per round at 1 in flight. ` +
      "*stalled*: beside it, session B asks for `echo.stream` (16 KiB pieces), reads the first piece and pauses its socket, asking for a new stream every 200 of A's round trips; B says `credit` in its hello, as the apps' client does, and grants none, so the agent stops each stream after one window. " +
      "Anchor: A alone, in the same run, alternating with the stalled rounds.",
  );
  lines.push("");
  lines.push("| session A | p50 ms | p99 ms | max ms |");
  lines.push("|---|---:|---:|---:|");
  lines.push(`| alone (anchor) | ${r.anchor.p50.toFixed(2)} | ${r.anchor.p99.toFixed(2)} | ${r.anchor.max.toFixed(1)} |`);
  lines.push(`| beside a stalled reader | ${r.stalled.p50.toFixed(2)} | ${r.stalled.p99.toFixed(2)} | ${r.stalled.max.toFixed(1)} |`);
  lines.push("");
  const pct = (x) => `${x >= 1 ? "+" : ""}${(100 * (x - 1)).toFixed(0)}%`;
  lines.push(
    `- Goal, others' p99 ≤ +20% beside a stalled reader: ${pct(r.ratioP99)} (p50 ${pct(r.ratioP50)}) — ${r.ratioP99 <= 1.2 ? "**met**" : "**not met**"}. ` +
      `Relay drops during the phase: ${JSON.stringify(r.drops)}. Outside load: ${r.otherCores.toFixed(2)} cores on average.`,
  );
  return lines.join("\n");
}
