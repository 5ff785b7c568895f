/**
 * Files end to end: a file downloaded from and uploaded to the real agent through the ORA relay
 * (pieces sealed end to end, protocol/src/transfer.ts, SHA-256 checked at the end), against the same
 * bytes carried by the plain Node `ws` relay (bench/node-relay.mjs) between two sockets, in pieces of
 * the same size with as many in flight, raw in binary frames, hashed with SHA-256 too: the relay
 * that forwards and nothing else. The ORA relay is reached directly, without wrangler's dev proxy,
 * as clients reach a deployed Worker. Both clients, and the anchor's answering end, run in processes
 * of their own (bench/transfer-ends.mjs), as the agent does.
 *
 * Reported per size and direction: MiB/s (median over rounds) and the ratio ORA / anchor, and the
 * peak resident memory of the agent and of workerd during the transfer, so that 10 MiB and 100 MiB
 * side by side show whether memory stays flat as files grow.
 */
import { toBase64Url } from "@ora/protocol";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { inspector } from "./cdp.mjs";
import { median } from "./load.mjs";
import { spawnNode } from "./procs.mjs";
import { childPids, procStat, stack, startAgent, startOraWorker } from "./targets.mjs";
import { provisionAgentDevice } from "./secure-session.mjs";

const MIB = 1024 * 1024;
const PIECE = 256 * 1024;
const IN_FLIGHT = 4;
const ENDS = join(import.meta.dirname, "../transfer-ends.mjs");

function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/**
 * The agent's own count of what it keeps, heap used plus ArrayBuffers (where file pieces live), after
 * a full collection, through its inspector. Read once, after every transfer: once a collection has
 * been asked for through the inspector, V8 collects the whole heap several times a second under a
 * transfer (some 90 collections instead of 2 in this phase), which would measure the bench rather
 * than the agent.
 */
async function agentMemory(inspectorUrl) {
  const cdp = await inspector(inspectorUrl);
  try {
    await cdp.call("HeapProfiler.collectGarbage");
    const { result } = await cdp.call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true });
    const usage = JSON.parse(result.value);
    return (usage.heapUsed + usage.arrayBuffers) / MIB;
  } finally {
    cdp.close();
  }
}

const TICK_MS = 10;
const ticks = (pid) => procStat(pid)?.ticks ?? 0;

/** Samples the peak resident memory of `pids` while `work` runs, and the CPU (ms) each used. */
async function withPeak(pids, work) {
  const peak = Object.fromEntries(pids.map((p) => [p, rssMiB(p)]));
  const before = Object.fromEntries(pids.map((p) => [p, ticks(p)]));
  const timer = setInterval(() => {
    for (const p of pids) peak[p] = Math.max(peak[p], rssMiB(p));
  }, 25);
  try {
    const result = await work();
    const cpu = Object.fromEntries(pids.map((p) => [p, (ticks(p) - before[p]) * TICK_MS]));
    return { result, peak, cpu };
  } finally {
    clearInterval(timer);
  }
}

/** The client process: send(command) resolves with its answer line, rejects with its error. */
async function startClient(cleanup) {
  const proc = spawnNode([ENDS, "client"], { name: "transfer-client" });
  cleanup.push(() => proc.stop());
  const answers = createInterface({ input: proc.proc.stdout })[Symbol.asyncIterator]();
  return {
    pid: proc.pid,
    async send(command) {
      proc.proc.stdin.write(`${JSON.stringify(command)}\n`);
      const { value, done } = await answers.next();
      if (done) throw new Error(`transfer client exited:\n${proc.output()}`);
      const answer = JSON.parse(value);
      if (answer.error) throw new Error(`transfer client: ${command.op}: ${answer.error}`);
      return answer;
    },
  };
}

/** The anchor: the plain Node relay and its answering end, serving files in `dir`. */
async function startAnchor(cleanup, dir) {
  const relay = spawnNode([join(import.meta.dirname, "../node-relay.mjs")], { name: "node-relay" });
  cleanup.push(() => relay.stop());
  const line = await relay.waitFor('{"port":');
  const { port } = JSON.parse(line.slice(line.indexOf('{"port":')).split("\n")[0]);
  const url = `http://127.0.0.1:${port}`;
  const peer = spawnNode([ENDS, "peer", url, dir], { name: "transfer-peer" });
  cleanup.push(() => peer.stop());
  await peer.waitFor("ready");
  return { url, pids: [relay.pid, peer.pid] };
}

export async function benchTransfer(startWorkerFn, { sizes = [10, 100], rounds = 3, log, track }) {
  const cleanup = track(stack());
  const dir = mkdtempSync(join(tmpdir(), "ora-bench-files-"));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const max = Math.max(...sizes);
  const { url, worker } = await startOraWorker(startWorkerFn, { direct: true });
  cleanup.push(() => worker.dispose());
  const workerds = childPids("workerd");
  const { agent, stateDir, node } = await startAgent(url, cleanup, {
    env: { ORA_TOOL_ROOTS: dir, ORA_FILES_MAX_BYTES: String(max * MIB) },
    nodeArgs: ["--inspect=127.0.0.1:0"],
  });
  const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(agent.output())[1];
  const device = await provisionAgentDevice(url, node.credential, stateDir);
  const anchor = await startAnchor(cleanup, dir);
  const client = await startClient(cleanup);
  await client.send({
    op: "setup",
    identity: {
      relay: url,
      device: device.id,
      credential: device.credential,
      secretKey: toBase64Url(device.secretKey),
      agentPublicKey: toBase64Url(device.agentPublicKey),
    },
    anchorUrl: anchor.url,
    folder: dir,
  });
  const rows = [];
  for (const mib of sizes) {
    const size = mib * MIB;
    const name = `file-${mib}.bin`;
    const bytes = randomBytes(size);
    writeFileSync(join(dir, name), bytes);
    const sha = createHash("sha256").update(bytes).digest("hex");
    const samples = { download: { ora: [], anchor: [] }, upload: { ora: [], anchor: [] } };
    const peaks = { download: { agent: 0, workerd: 0 }, upload: { agent: 0, workerd: 0 } };
    const cpu = { download: { agent: [], workerd: [], client: [] }, upload: { agent: [], workerd: [], client: [] } };
    const note = (direction, { peak, cpu: used }) => {
      peaks[direction].agent = Math.max(peaks[direction].agent, peak[agent.pid]);
      peaks[direction].workerd = Math.max(peaks[direction].workerd, ...workerds.map((p) => peak[p]));
      cpu[direction].agent.push(used[agent.pid] / mib);
      cpu[direction].workerd.push(workerds.reduce((sum, p) => sum + used[p], 0) / mib);
      cpu[direction].client.push(used[client.pid] / mib);
    };
    const measured = (work) => withPeak([agent.pid, client.pid, ...workerds], work);
    const rate = (ms) => mib / (ms / 1000);
    for (let round = 0; round < rounds; round++) {
      const got = await measured(() => client.send({ op: "download", via: "ora", name, size }));
      if (got.result.sha256 !== sha) throw new Error(`transfer: the ${mib} MiB download does not match`);
      samples.download.ora.push(rate(got.result.ms));
      note("download", got);
      const plain = await client.send({ op: "download", via: "anchor", name, size });
      if (plain.sha256 !== sha) throw new Error(`transfer: the anchor's ${mib} MiB download does not match`);
      samples.download.anchor.push(rate(plain.ms));

      const put = await measured(() => client.send({ op: "upload", via: "ora", name, path: `up-${mib}-${round}.bin`, sha256: sha }));
      if (put.result.status !== "waiting") throw new Error(`transfer: upload ended ${put.result.status}`);
      samples.upload.ora.push(rate(put.result.ms));
      note("upload", put);
      writeFileSync(join(dir, `anchor-${mib}.bin`), "");
      samples.upload.anchor.push(rate((await client.send({ op: "upload", via: "anchor", name, path: `anchor-${mib}.bin` })).ms));
      log(
        `transfer ${mib} MiB ${round + 1}/${rounds}: download ${samples.download.ora.at(-1).toFixed(1)} vs ${samples.download.anchor.at(-1).toFixed(1)} MiB/s, ` +
          `upload ${samples.upload.ora.at(-1).toFixed(1)} vs ${samples.upload.anchor.at(-1).toFixed(1)} MiB/s`,
      );
    }
    for (const direction of ["download", "upload"]) {
      const ora = median(samples[direction].ora);
      const plain = median(samples[direction].anchor);
      const ms = (list) => median(list);
      rows.push({
        mib,
        direction,
        ora,
        anchor: plain,
        ratio: ora / plain,
        agentPeakMiB: peaks[direction].agent,
        workerdPeakMiB: peaks[direction].workerd,
        cpuMsPerMiB: { agent: ms(cpu[direction].agent), workerd: ms(cpu[direction].workerd), client: ms(cpu[direction].client) },
      });
    }
    rmSync(join(dir, name));
  }
  const keptMiB = await agentMemory(inspectorUrl);
  await cleanup.stop();
  return { rounds, piece: PIECE, inFlight: IN_FLIGHT, rows, keptMiB };
}

export function renderTransfer(r, machine) {
  const lines = [];
  lines.push(`### File transfer: 10 MiB and 100 MiB end to end (${r.rounds} rounds)`);
  lines.push("");
  lines.push(
    "`files.download` and `files.upload.*` through the ORA relay (reached without the dev proxy) and the real agent, with the protocol's " +
      `transfer loop (\`protocol/src/transfer.ts\`: ${r.piece / 1024} KiB pieces, ${r.inFlight} in flight, sealed end to end in binary frames, a piece's bytes raw after its JSON, SHA-256 checked; ` +
      "an upload is timed until the PC has checked it and asks for the approval that places it). Anchor: the same bytes through the plain Node `ws` relay " +
      "(`bench/node-relay.mjs`) between two sockets, same piece size and pieces in flight, raw bytes in binary frames, SHA-256 on download, in the same run. " +
      "Both clients and the anchor's answering end run in processes of their own (`bench/transfer-ends.mjs`), as the agent does. " +
      "MiB/s is the median over rounds; peaks are resident memory sampled every 25 ms during the ORA transfers.",
  );
  lines.push("");
  lines.push("| file | direction | ORA MiB/s | plain relay MiB/s | ratio | CPU ms/MiB agent · workerd · client | agent peak RSS MiB | workerd peak RSS MiB |");
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    const c = row.cpuMsPerMiB;
    lines.push(
      `| ${row.mib} MiB | ${row.direction} | ${row.ora.toFixed(1)} | ${row.anchor.toFixed(1)} | ${row.ratio.toFixed(2)}× | ${c.agent.toFixed(1)} · ${c.workerd.toFixed(1)} · ${c.client.toFixed(1)} | ${row.agentPeakMiB.toFixed(0)} | ${row.workerdPeakMiB.toFixed(0)} |`,
    );
  }
  lines.push("");
  const worst = Math.min(...r.rows.map((row) => row.ratio));
  const small = r.rows.filter((row) => row.mib === Math.min(...r.rows.map((x) => x.mib)));
  const big = r.rows.filter((row) => row.mib === Math.max(...r.rows.map((x) => x.mib)));
  const growth = Math.max(...big.map((row) => row.agentPeakMiB)) - Math.max(...small.map((row) => row.agentPeakMiB));
  lines.push(
    `- Goal, ≥ 0.5× the plain relay: lowest ratio ${worst.toFixed(2)}× — ${worst >= 0.5 ? "**met**" : "**not met**"}. ` +
      `Memory: the agent's peak RSS grows by ${growth.toFixed(0)} MiB from the smallest to the largest file; after every transfer and a full ` +
      `collection it keeps ${r.keptMiB.toFixed(1)} MiB (heap used + ArrayBuffers, its own count, read through its inspector). ` +
      `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}. Outside load: ${r.otherCores.toFixed(2)} cores on average.`,
  );
  return lines.join("\n");
}
