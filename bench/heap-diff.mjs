/**
 * What the relay's heap keeps after sessions close (diagnostics; not part of `npm run bench`).
 *
 *   node bench/heap-diff.mjs [N]      (N sessions, default 300)
 *
 * The ORA relay Worker with the inspector on and the sealed echo peer as its agent: a warm-up cycle
 * of 50 sessions (open, handshake, close), a heap snapshot, then a cycle of N sessions, another
 * snapshot. Prints what grew between the two, by V8 node type and constructor: an object kept per
 * session shows up as a row with about N more instances.
 */
import { wranglerEnv } from "../scripts/wrangler-env.mjs";
Object.assign(process.env, wranglerEnv());
const { unstable_startWorker } = await import("wrangler");
import { inspector } from "./lib/cdp.mjs";
import { provisionPeerDevice } from "./lib/secure-session.mjs";
import { nodeMetrics, oraSession, registerNode, startEchoPeer, startOraWorker, wsUrl } from "./lib/targets.mjs";
import { stopAll } from "./lib/procs.mjs";
function counts(snap) {
  const m = snap.snapshot.meta;
  const nf = m.node_fields.length;
  const types = m.node_types[0];
  const ti = m.node_fields.indexOf("type"),
    ni = m.node_fields.indexOf("name"),
    si = m.node_fields.indexOf("self_size");
  const out = new Map();
  for (let i = 0; i < snap.nodes.length; i += nf) {
    const type = types[snap.nodes[i + ti]];
    const name = snap.strings[snap.nodes[i + ni]];
    const key = `${type}:${type === "string" || type === "concatenated string" || type === "sliced string" ? "" : name.slice(0, 60)}`;
    const e = out.get(key) ?? [0, 0];
    e[0]++;
    e[1] += snap.nodes[i + si];
    out.set(key, e);
  }
  return out;
}
const w = await startOraWorker(unstable_startWorker, { inspect: true });
const node = await registerNode(w.url);
const device = await provisionPeerDevice(w.url, node.credential, "d");
const peer = await startEchoPeer(wsUrl(w.url, "/v1/node/connect"), ["--dialect", "ora", "--mode", "sealed"], {
  ...device.peerEnv,
  BENCH_NODE_CREDENTIAL: node.credential,
});
const cdp = await inspector(w.inspectorUrl);
await cdp.call("HeapProfiler.enable");
const wait0 = async (n) => {
  for (;;) {
    const m = await nodeMetrics(w.url, node.nodeId);
    if (m.sessions === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
};
const cycle = async (n) => {
  const s = [];
  while (s.length < n) s.push(...(await Promise.all(Array.from({ length: 50 }, () => oraSession(w.url, device, { sealed: true })))));
  await wait0(n);
  await Promise.all(s.map((x) => x.close()));
  await wait0(0);
};
await cycle(50);
await cdp.heapSnapshot();
const a = counts(await cdp.heapSnapshot());
const N = Number(process.argv[2] ?? 300);
await cycle(N);
await cdp.heapSnapshot();
const b = counts(await cdp.heapSnapshot());
const rows = [];
for (const [k, [c, sz]] of b) {
  const [c0, s0] = a.get(k) ?? [0, 0];
  if (sz - s0 > 1000 || c - c0 > N / 2) rows.push([k, c - c0, sz - s0]);
}
rows.sort((x, y) => y[2] - x[2]);
for (const r of rows.slice(0, 40)) console.log(r.join("\t"));
cdp.close();
await peer.stop();
await w.worker.dispose();
await stopAll();
