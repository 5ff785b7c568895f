/**
 * The approvals phase: how soon the owner hears that something waits, and the requester how it
 * ended. Two owner devices on the real relay (workerd) and the real agent, each an OraClient (E2EE):
 *
 *   anchor     the asker's `tools.call time.now` (LOW: runs at once), request → answer
 *   answered   the asker's `tools.call files.write` (HIGH) → its answer with the waiting task
 *   notified   the same request sent → the other device's sealed `approval` push (created)
 *   told       the decider's `approvals.decide` (deny) sent → the asker's `task` push (denied)
 *
 * One call in flight, the anchor and the approval run interleaved, each approval denied before the
 * next (no file is written). DESIGN's goal: the owner is notified within 1 s of a call being asked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { OraClient } from "@ora/protocol";
import WsWebSocket from "ws";
import { quantile as sortedQuantile } from "./load.mjs";
import { provisionAgentDevice } from "./secure-session.mjs";
import { stack, startAgent, startOraWorker } from "./targets.mjs";

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

/** Resolves with the time the first push matching `match` arrives (or rejects after `ms`). */
function nextPush(client, match, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (stop(), reject(new Error("no matching push within 10 s"))), ms);
    const stop = client.onPush((push) => {
      if (!match(push)) return;
      clearTimeout(timer);
      stop();
      resolve(performance.now());
    });
  });
}

export async function benchApprovals(startWorkerFn, { runs, warmup, log, track }) {
  log("bench: approvals — the real relay and the real agent, two owner devices");
  const cleanup = stack();
  track({ name: "approvals", stop: cleanup.stop });
  const started = performance.now();
  try {
    const { worker, url } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    const roots = mkdtempSync(join(tmpdir(), "ora-bench-roots-"));
    cleanup.push(async () => rmSync(roots, { recursive: true, force: true }));
    // The HIGH rate limit and the cap on waiting approvals are for people; the bench asks far faster.
    const env = { ORA_TOOL_ROOTS: roots, ORA_RATE_HIGH: "100000", ORA_RATE_LOW: "100000" };
    const { stateDir, node } = await startAgent(url, cleanup, { env });
    const connect = async (name) => {
      const device = await provisionAgentDevice(url, node.credential, stateDir, name);
      const identity = { relay: url, device: device.id, credential: device.credential, key: device.key, agentPublicKey: device.agentPublicKey };
      const client = await OraClient.connect({ identity, WebSocket: globalThis.WebSocket ?? PlainWebSocket, timeoutMs: 10_000 });
      cleanup.push(async () => client.close());
      await client.request("ping"); // secured: the agent can push to it
      return client;
    };
    const asker = await connect("bench-asker");
    const decider = await connect("bench-decider");

    const samples = { anchor: [], answered: [], notified: [], told: [] };
    for (let i = 0; i < warmup + runs; i++) {
      const keep = i >= warmup;
      const t0 = performance.now();
      const low = await asker.request("tools.call", { name: "time.now" });
      if (low.status !== "done") throw new Error(`time.now did not run at once: ${JSON.stringify(low)}`);
      const anchor = performance.now() - t0;

      const notified = nextPush(decider, (p) => p.event === "approval" && p.data.type === "created");
      const t1 = performance.now();
      const high = await asker.request("tools.call", { name: "files.write", args: { root: 0, path: `bench-${i}.txt`, content: "x" } });
      const answered = performance.now() - t1;
      if (high.status !== "waiting") throw new Error(`files.write ran without an approval: ${JSON.stringify(high)}`);
      const notifiedAt = await notified;

      const told = nextPush(asker, (p) => p.event === "task" && p.data.task.id === high.task.id && p.data.task.state === "denied");
      const t2 = performance.now();
      await decider.request("approvals.decide", { id: high.task.approval, verdict: "deny" });
      const toldAt = await told;
      if (keep) {
        samples.anchor.push(anchor);
        samples.answered.push(answered);
        samples.notified.push(notifiedAt - t1);
        samples.told.push(toldAt - t2);
      }
    }
    const summary = Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, { n: v.length, p50: quantile(v, 0.5), p99: quantile(v, 0.99), max: Math.max(...v) }]),
    );
    log(
      `bench: approvals p50 — anchor ${summary.anchor.p50.toFixed(2)} ms, answered ${summary.answered.p50.toFixed(2)} ms, ` +
        `owner notified ${summary.notified.p50.toFixed(2)} ms (max ${summary.notified.max.toFixed(1)}), requester told ${summary.told.p50.toFixed(2)} ms`,
    );
    return { runs, warmup, seconds: (performance.now() - started) / 1000, ...summary };
  } finally {
    await cleanup.stop();
  }
}

const ms = (v) => v.toFixed(2);

export function renderApprovals(r, machine) {
  const lines = [];
  lines.push("### Approvals: how soon the owner hears of a call that waits");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(r.seconds)} s: ${r.runs} measured HIGH calls after ${r.warmup} warm-up ones, ` +
      "each denied before the next, with a LOW call (the anchor) between them, 1 in flight; two owner devices, both OraClients (E2EE), the real relay (workerd) and the real agent.",
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler}`);
  lines.push("");
  lines.push("| measured | n | p50 ms | p99 ms | max ms |");
  lines.push("|---|---:|---:|---:|---:|");
  const row = (label, s) => lines.push(`| ${label} | ${s.n} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`);
  row("anchor: `tools.call time.now` (LOW, runs at once), request → answer", r.anchor);
  row("`tools.call files.write` (HIGH), request → the answer with its waiting task", r.answered);
  row("the same request sent → the other owner device has the sealed `approval` push", r.notified);
  row("`approvals.decide` (deny) sent → the asker has the sealed `task` push (denied)", r.told);
  lines.push("");
  const goal = r.notified.max <= 1000;
  lines.push(
    `Goal "the owner is notified within 1 s of it being asked": slowest of ${r.notified.n} was ${ms(r.notified.max)} ms — ${goal ? "met" : "NOT met"}. ` +
      `The notification arrives ${ms(r.notified.p50 - r.anchor.p50)} ms p50 after a LOW call's whole round trip would (${(r.notified.p50 / r.anchor.p50).toFixed(2)}× the anchor): ` +
      "the HIGH call writes its approval, task and audit rows before the agent pushes.",
  );
  return lines.join("\n");
}
