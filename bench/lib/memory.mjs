/**
 * Sessions per Node with memory: how much of the Durable Object's JavaScript heap one idle sealed
 * session holds, and whether it is all returned when the sessions close.
 *
 * The ORA relay Worker with the V8 inspector on (wrangler's inspector proxy: the Worker's isolate, its
 * Durable Objects included) and the sealed echo peer as the Node's agent. The bench opens sessions in
 * steps (hello, welcome, the end-to-end handshake as the first request, then nothing), and at each
 * step forces a full garbage collection (a heap snapshot: workerd leaves HeapProfiler.collectGarbage
 * unanswered) and reads the isolate's used
 * heap (Runtime.getHeapUsage). Then it closes every session, waits until the relay counts none, and
 * measures again. The workerd process's resident memory is read beside it (/proc/<pid>/status): it
 * holds the runtime's own per-socket state as well, which a production object's 128 MB does not count
 * the same way, so the per-session figure for OPERATIONS.md is the heap's.
 */
import { readFileSync } from "node:fs";
import { inspector } from "./cdp.mjs";
import { provisionPeerDevice } from "./secure-session.mjs";
import { childPids, nodeMetrics, oraSession, registerNode, stack, startEchoPeer, startOraWorker, wsUrl } from "./targets.mjs";

/** Opens at most this many sessions at once while stepping up (each handshake costs the peer an X25519). */
const OPEN_BATCH = 50;

function rssMiB(pids) {
  let kib = 0;
  for (const pid of pids) {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    kib += Number(m?.[1] ?? 0);
  }
  return kib / 1024;
}

/** Waits until the relay's metrics say `sessions` (the Node's count of sessions that said hello). */
async function sessionsAre(url, nodeId, n, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const m = await nodeMetrics(url, nodeId);
    if (m.sessions === n) return m;
    if (Date.now() > until) throw new Error(`the relay counts ${m.sessions} sessions, expected ${n}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Steps through `steps` (ascending session counts), measures at each, closes everything, measures
 * again. Returns { points: [{sessions, heapMiB, totalHeapMiB, rssMiB}], closed: {...}, base: {...} }.
 */
export async function benchMemory(startWorkerFn, { steps = [0, 500, 1000, 2000], log, track }) {
  const cleanup = track(stack());
  const before = new Set(childPids("workerd"));
  const { worker, url, proxyPids, inspectorUrl } = await startOraWorker(startWorkerFn, { inspect: true });
  cleanup.push(() => worker.dispose());
  const relayPids = childPids("workerd").filter((pid) => !before.has(pid) && !proxyPids.includes(pid));
  const node = await registerNode(url);
  const device = await provisionPeerDevice(url, node.credential, "bench-memory");
  const peer = await startEchoPeer(wsUrl(url, "/v1/node/connect"), ["--dialect", "ora", "--mode", "sealed"], {
    ...device.peerEnv,
    BENCH_NODE_CREDENTIAL: node.credential,
  });
  cleanup.push(() => peer.stop());
  const cdp = await inspector(inspectorUrl);
  cleanup.push(async () => cdp.close());
  await cdp.call("HeapProfiler.enable");

  const measure = async (sessions) => {
    // A heap snapshot runs a full collection first; workerd's inspector leaves HeapProfiler.collectGarbage
    // unanswered. Twice: the first collection may leave what finalizers freed for the second.
    await cdp.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    await cdp.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const { usedSize, totalSize } = await cdp.call("Runtime.getHeapUsage");
    const point = { sessions, heapMiB: usedSize / 2 ** 20, totalHeapMiB: totalSize / 2 ** 20, rssMiB: rssMiB(relayPids) };
    log(
      `memory: ${sessions} sessions: heap ${point.heapMiB.toFixed(2)} MiB used (${point.totalHeapMiB.toFixed(2)} allocated), workerd RSS ${point.rssMiB.toFixed(1)} MiB`,
    );
    return point;
  };

  // A batch opened and closed first, so that the baseline already holds the code the paths compile
  // (bench/heap-diff.mjs: what a later cycle adds and keeps is compiled code and feedback only).
  const warm = await Promise.all(Array.from({ length: OPEN_BATCH }, () => oraSession(url, device, { sealed: true })));
  await Promise.all(warm.map((s) => s.close()));
  await sessionsAre(url, node.nodeId, 0);
  const open = [];
  const points = [await measure(0)];
  for (const target of steps.filter((n) => n > 0)) {
    while (open.length < target) {
      const batch = Math.min(OPEN_BATCH, target - open.length);
      open.push(...(await Promise.all(Array.from({ length: batch }, () => oraSession(url, device, { sealed: true })))));
    }
    await sessionsAre(url, node.nodeId, target);
    points.push(await measure(target));
  }
  const top = open.length;
  await Promise.all(open.splice(0).map((s) => s.close()));
  const metrics = await sessionsAre(url, node.nodeId, 0);
  const closed = await measure(0);
  // The same number again: memory the first cycle left behind is reused if this stays at the first peak.
  while (open.length < top)
    open.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, top - open.length) }, () => oraSession(url, device, { sealed: true })))));
  await sessionsAre(url, node.nodeId, top);
  const reopened = await measure(top);
  await Promise.all(open.splice(0).map((s) => s.close()));
  await sessionsAre(url, node.nodeId, 0);
  const closedAgain = await measure(0);
  await cleanup.stop();
  const last = points.at(-1);
  return {
    points,
    closed,
    reopened,
    closedAgain,
    perSessionKiB: ((last.heapMiB - points[0].heapMiB) * 1024) / last.sessions,
    rssPerSessionKiB: ((last.rssMiB - points[0].rssMiB) * 1024) / last.sessions,
    retainedKiB: (closed.heapMiB - points[0].heapMiB) * 1024,
    rssRetainedMiB: closed.rssMiB - points[0].rssMiB,
    pending: metrics.pending,
  };
}

/** The memory section of docs/BENCH.md. */
export function renderMemory(m, machine) {
  const lines = [];
  lines.push("### Sessions per Node: the Durable Object's memory per idle sealed session");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine.cpu}, ${machine.cores} cores; workerd ${machine.workerd} under wrangler ${machine.wrangler}. ` +
      "One Node, the sealed echo peer as its agent; each session said hello and ran the end-to-end handshake, then stayed idle. " +
      "Heap: the Worker's isolate (its Durable Objects included) after two forced full collections (inspector `HeapProfiler.takeHeapSnapshot`, then `Runtime.getHeapUsage`). " +
      "RSS: the Worker's workerd process.",
  );
  lines.push("");
  lines.push("| open sessions | JS heap used, MiB | heap allocated, MiB | workerd RSS, MiB |");
  lines.push("|---:|---:|---:|---:|");
  for (const p of m.points) lines.push(`| ${p.sessions} | ${p.heapMiB.toFixed(2)} | ${p.totalHeapMiB.toFixed(2)} | ${p.rssMiB.toFixed(1)} |`);
  const row = (label, p) => lines.push(`| ${label} | ${p.heapMiB.toFixed(2)} | ${p.totalHeapMiB.toFixed(2)} | ${p.rssMiB.toFixed(1)} |`);
  row("0, all closed", m.closed);
  row(`${m.reopened.sessions} again`, m.reopened);
  row("0, all closed again", m.closedAgain);
  lines.push("");
  lines.push(
    `- JS heap per idle sealed session: **${m.perSessionKiB.toFixed(1)} KiB** (slope from 0 to ${m.points.at(-1).sessions}); ` +
      `after every session closed the heap is ${m.retainedKiB >= 0 ? "+" : ""}${m.retainedKiB.toFixed(0)} KiB from where it started, pending ${m.pending}.`,
  );
  lines.push(
    `- workerd RSS per session: ${m.rssPerSessionKiB.toFixed(0)} KiB; after the close ${m.rssRetainedMiB >= 0 ? "+" : ""}${m.rssRetainedMiB.toFixed(1)} MiB over the start ` +
      `(the process keeps memory it has used; this is not the isolate's heap). The same ${m.reopened.sessions} sessions opened again take it to ${m.reopened.rssMiB.toFixed(1)} MiB ` +
      `(first peak ${m.points.at(-1).rssMiB.toFixed(1)} MiB): ${m.reopened.rssMiB <= m.points.at(-1).rssMiB * 1.05 ? "reused, not leaked" : "it grows with every cycle"}. ` +
      "docs/OPERATIONS.md turns the heap figure into a session cap.",
  );
  return lines.join("\n");
}
