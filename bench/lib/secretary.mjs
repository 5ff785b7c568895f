/**
 * The secretary phase: a chat through ORA against a fake OpenAI server (bench/lib/fake-openai.mjs),
 * next to the same model called directly with the `openai` SDK, in the same run and the same process.
 *
 *   direct       the SDK (the copy node-agent uses) streams a text answer from the fake
 *   direct+tool  the SDK gets a `time_now` call, then sends a tool result and streams the text answer
 *   ora          an OraClient (E2EE) → the real relay (workerd) → the real agent (`chat`) → the fake → back
 *   ora+tool     the same chat, the model calling `time_now` first: the agent runs `time.now` through its
 *                enforcement point (policy, rate limit, audit) and calls the model a second time
 * One request in flight; the kinds interleaved run by run, their order rotating. Times
 * are taken in the bench process, which also hosts the fake model: so the fake's own timestamps (request
 * arrived, first piece written, response ended) are on the same clock as the client's.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OraClient } from "@ora/protocol";
import WsWebSocket from "ws";
import { provisionAgentDevice } from "./secure-session.mjs";
import { startFakeOpenAI, TOOL_TRIGGER } from "./fake-openai.mjs";
import { quantile as sortedQuantile } from "./load.mjs";
import { procStat, stack, startAgent, startOraWorker } from "./targets.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const TICK_MS = 10;
const quantile = (list, q) =>
  sortedQuantile(
    [...list].sort((a, b) => a - b),
    q,
  );
export const SECRETARY_KINDS = ["direct", "ora", "direct+tool", "ora+tool"];

/** The `openai` package as the agent resolves it (node-agent's dependency). */
async function openAI() {
  const path = createRequire(join(root, "node-agent/package.json")).resolve("openai");
  const mod = await import(pathToFileURL(path).href);
  const version = JSON.parse(readFileSync(join(dirname(path), "package.json"), "utf8")).version;
  return { OpenAI: mod.OpenAI ?? mod.default, version };
}

/** `ws` without permessage-deflate, in the shape OraClient expects of a WHATWG WebSocket. */
class PlainWebSocket extends WsWebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

const TIME_NOW_SPEC = { type: "function", function: { name: "time_now", description: "What time it is.", parameters: { type: "object", properties: {} } } };

export async function benchSecretary(startWorkerFn, { runs, warmup, pieces, log, track }) {
  log(`bench: secretary — fake OpenAI server (${pieces} pieces), the real relay and the real agent`);
  const cleanup = stack();
  track({ name: "secretary", stop: cleanup.stop });
  try {
    const fake = await startFakeOpenAI({ pieces });
    cleanup.push(() => fake.close());
    const { worker, url } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    const providers = { providers: [{ name: "primary", type: "openai", baseURL: fake.baseURL, model: "model-a", apiKey: "none" }] };
    const { agent, stateDir, node } = await startAgent(url, cleanup, { files: { "providers.json": JSON.stringify(providers) } });
    const device = await provisionAgentDevice(url, node.credential, stateDir, "bench-secretary");
    const identity = { relay: url, device: device.id, credential: device.credential, key: device.key, agentPublicKey: device.agentPublicKey };
    const client = await OraClient.connect({ identity, WebSocket: globalThis.WebSocket ?? PlainWebSocket, timeoutMs: 10_000 });
    cleanup.push(async () => client.close());
    const { OpenAI, version: sdkVersion } = await openAI();
    const sdk = new OpenAI({ apiKey: "none", baseURL: fake.baseURL, maxRetries: 0, timeout: 30_000, organization: null, project: null });

    // ---- one run of each kind; each returns its times (ms from its start) and checks its answer ----
    const sinceStart = (t0, t) => t - t0;
    const fakeSince = (from) => fake.requests.slice(from);

    async function sdkStream(messages, tools) {
      const stream = await sdk.chat.completions.create({
        model: "model-a",
        messages,
        ...(tools ? { tools } : {}),
        stream: true,
        stream_options: { include_usage: true },
      });
      let first = NaN;
      let text = "";
      const calls = [];
      let finish = null;
      for await (const chunk of stream) {
        const choice = chunk.choices.find((c) => c.index === 0);
        if (!choice) continue;
        if (choice.delta.content) {
          if (Number.isNaN(first)) first = performance.now();
          text += choice.delta.content;
        }
        for (const piece of choice.delta.tool_calls ?? []) {
          calls[piece.index] ??= { id: "", name: "", arguments: "" };
          calls[piece.index].id ||= piece.id ?? "";
          calls[piece.index].name ||= piece.function?.name ?? "";
          calls[piece.index].arguments += piece.function?.arguments ?? "";
        }
        finish = choice.finish_reason ?? finish;
      }
      return { first, end: performance.now(), text, calls, finish };
    }

    async function direct() {
      const from = fake.requests.length;
      const t0 = performance.now();
      const r = await sdkStream([{ role: "user", content: "hello" }]);
      if (r.text !== fake.text || r.finish !== "stop") throw new Error(`direct: unexpected answer ${JSON.stringify(r.text)} (${r.finish})`);
      const [m] = fakeSince(from);
      return { first: sinceStart(t0, r.first), end: sinceStart(t0, r.end), up: m.arrived - t0, model1: m.ended - m.arrived, down: r.first - m.first };
    }

    async function directTool() {
      const from = fake.requests.length;
      const t0 = performance.now();
      const user = { role: "user", content: `${TOOL_TRIGGER} what time is it?` };
      const a = await sdkStream([user], [TIME_NOW_SPEC]);
      if (a.calls.length !== 1 || a.calls[0].name !== "time_now" || a.finish !== "tool_calls")
        throw new Error(`direct+tool: expected a time_now call, got ${JSON.stringify(a)}`);
      const call = a.calls[0];
      const b = await sdkStream(
        [
          user,
          { role: "assistant", content: "", tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }] },
          { role: "tool", tool_call_id: call.id, content: JSON.stringify({ iso: new Date().toISOString() }) },
        ],
        [TIME_NOW_SPEC],
      );
      if (b.text !== fake.text) throw new Error(`direct+tool: unexpected answer ${JSON.stringify(b.text)}`);
      const [m1, m2] = fakeSince(from);
      return {
        first: sinceStart(t0, b.first),
        end: sinceStart(t0, b.end),
        up: m1.arrived - t0,
        model1: m1.ended - m1.arrived,
        gap: m2.arrived - m1.ended,
        model2: m2.ended - m2.arrived,
        down: b.first - m2.first,
      };
    }

    async function ora(withTool) {
      const from = fake.requests.length;
      let first = NaN;
      const toolAt = {};
      let deltas = 0;
      const t0 = performance.now();
      const answer = await client.request(
        "chat",
        { text: withTool ? `${TOOL_TRIGGER} what time is it?` : "hello" },
        {
          onChunk: (c) => {
            if (c?.type === "text") {
              if (Number.isNaN(first)) first = performance.now();
              deltas++;
            } else if (c?.type === "tool") toolAt[c.status] = performance.now();
          },
        },
      );
      const end = performance.now();
      const kind = withTool ? "ora+tool" : "ora";
      if (answer?.text !== fake.text || !String(answer.model).includes("model-a") || deltas !== pieces) {
        throw new Error(`${kind}: unexpected answer ${JSON.stringify(answer).slice(0, 300)} after ${deltas} text chunks`);
      }
      const models = fakeSince(from);
      if (models.length !== (withTool ? 2 : 1)) throw new Error(`${kind}: the agent called the model ${models.length} times`);
      const row = { first: first - t0, end: end - t0, up: models[0].arrived - t0 };
      if (!withTool) return { ...row, model1: models[0].ended - models[0].arrived, down: first - models[0].first };
      if (toolAt.done === undefined || toolAt.running === undefined) throw new Error(`ora+tool: no tool steps streamed (${JSON.stringify(toolAt)})`);
      const toolMessage = models[1].body.messages.find((m) => m.role === "tool");
      if (!String(toolMessage?.content).includes("iso")) throw new Error(`ora+tool: the model did not get time.now's result: ${JSON.stringify(toolMessage)}`);
      const [m1, m2] = models;
      return { ...row, model1: m1.ended - m1.arrived, gap: m2.arrived - m1.ended, model2: m2.ended - m2.arrived, down: first - m2.first };
    }

    const kinds = { direct, ora: () => ora(false), "direct+tool": directTool, "ora+tool": () => ora(true) };

    // Warm-up: every kind, the agent's SDK connection and its SQLite statements included.
    for (const name of SECRETARY_KINDS) for (let i = 0; i < warmup; i++) await kinds[name]();
    log(`bench: secretary — ${warmup} warm-up runs of each kind done; measuring ${runs} of each`);

    // Interleaved: each iteration runs every kind once, the order rotating, so that outside load and
    // drift fall on all kinds alike. CPU ticks are read around each run (outside its timing) and summed
    // per kind: /proc counts in 10 ms ticks, which average out over the runs.
    const samples = Object.fromEntries(SECRETARY_KINDS.map((k) => [k, []]));
    const cpu = Object.fromEntries(SECRETARY_KINDS.map((k) => [k, { agent: 0, bench: 0 }]));
    const selfTicks = () => procStat(process.pid)?.ticks ?? 0;
    const agentTicks = () => procStat(agent.pid)?.ticks ?? 0;
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < SECRETARY_KINDS.length; j++) {
        const name = SECRETARY_KINDS[(i + j) % SECRETARY_KINDS.length];
        const a0 = agentTicks();
        const b0 = selfTicks();
        samples[name].push(await kinds[name]());
        cpu[name].agent += agentTicks() - a0;
        cpu[name].bench += selfTicks() - b0;
      }
      if ((i + 1) % Math.ceil(runs / 4) === 0 || i + 1 === runs) {
        log(
          `secretary ${i + 1}/${runs}: first token p50 ` +
            SECRETARY_KINDS.map(
              (k) =>
                `${k} ${quantile(
                  samples[k].map((r) => r.first),
                  0.5,
                ).toFixed(2)}`,
            ).join(", ") +
            " ms",
        );
      }
    }

    const stat = (list) => ({ p50: quantile(list, 0.5), p99: quantile(list, 0.99), min: Math.min(...list), max: Math.max(...list) });
    const summary = {};
    for (const name of SECRETARY_KINDS) {
      const list = samples[name];
      const fields = Object.keys(list[0]);
      summary[name] = Object.fromEntries(fields.map((f) => [f, stat(list.map((r) => r[f]))]));
      summary[name].n = list.length;
      summary[name].cpuAgentUs = (cpu[name].agent * TICK_MS * 1000) / list.length;
      summary[name].cpuBenchUs = (cpu[name].bench * TICK_MS * 1000) / list.length;
    }
    return { kinds: summary, runs, warmup, pieces, sdkVersion };
  } finally {
    await cleanup.stop();
  }
}

// ---------------------------------------------------------------- report

const ms = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const pp = (s) => `${ms(s.p50)} / ${ms(s.p99)}`;

/** The generated section of docs/BENCH.md for this phase. */
export function renderSecretary(r, machine) {
  const k = r.kinds;
  const [d, o, dt, ot] = [k.direct, k.ora, k["direct+tool"], k["ora+tool"]];
  const lines = [];
  lines.push("### The secretary: first streamed token through ORA vs the model called directly");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(r.seconds)} s: ${r.runs} measured chats of each kind after ${r.warmup} warm-up ones, ` +
      `the four kinds interleaved run by run, 1 in flight; the fake model streams ${r.pieces} text pieces per answer. ` +
      `Outside load during this phase: ${r.otherCores.toFixed(2)} cores on average.`,
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler}; openai SDK ${r.sdkVersion} (node-agent's)`);
  lines.push("");
  lines.push("| path | n | first text token p50 / p99 ms | whole answer p50 / p99 ms | agent CPU µs per chat | bench process CPU µs per chat |");
  lines.push("|---|---:|---:|---:|---:|---:|");
  const row = (label, s, agentCpu) =>
    lines.push(`| ${label} | ${s.n} | ${pp(s.first)} | ${pp(s.end)} | ${agentCpu ? s.cpuAgentUs.toFixed(0) : "–"} | ${s.cpuBenchUs.toFixed(0)} |`);
  row("direct: `openai` SDK → fake model", d, false);
  row("ORA: OraClient → relay (workerd) → agent `chat` → fake model → back", o, true);
  row("direct, tool step: SDK gets a `time_now` call, sends the result, streams the answer", dt, false);
  row("ORA, tool step: the model calls `time_now`, the agent runs `time.now`, calls the model again", ot, true);
  lines.push("");
  lines.push("Where the time goes, p50 ms of each segment on its own (the fake's timestamps are on the bench's clock):");
  lines.push("");
  lines.push("| segment | direct | ORA | direct, tool step | ORA, tool step |");
  lines.push("|---|---:|---:|---:|---:|");
  const cell = (s, f) => (s[f] ? ms(s[f].p50) : "–");
  const seg = (label, f) => lines.push(`| ${label} | ${cell(d, f)} | ${cell(o, f)} | ${cell(dt, f)} | ${cell(ot, f)} |`);
  seg("request sent → the model has it (body read)", "up");
  seg("first model call, at the model (request read → response ended)", "model1");
  seg("first call's response ended → second request read (the tool step)", "gap");
  seg("second model call, at the model", "model2");
  seg("the model writes its first text piece → the client has it", "down");
  lines.push("");
  const p50 = (a, b, f) => ms(a[f].p50 - b[f].p50);
  lines.push(
    `- **ORA's added latency to the first token** (issue: time to first token through the relay vs direct; no numeric goal): ` +
      `${ms(o.first.p50)} − ${ms(d.first.p50)} = **${p50(o, d, "first")} ms p50**; p99 ${ms(o.first.p99)} vs ${ms(d.first.p99)} ms. ` +
      `To the whole answer (${r.pieces} pieces, each its own sealed chunk through the relay): ${p50(o, d, "end")} ms p50 more; p99 ${ms(o.end.p99)} vs ${ms(d.end.p99)} ms. ` +
      `Of the first-token difference, the request's way in takes ${p50(o, d, "up")} ms more than the SDK's own (the client's seal, the relay, the agent's open and ` +
      `\`chat\` handler, the conversation started and the user's message stored, the agent's SDK call) and the first piece's way back ${p50(o, d, "down")} ms more ` +
      `(the agent's SDK parse, the turn's event, the agent's seal, the relay, the client's open).`,
  );
  lines.push(
    `- **A tool step** (p50 differences): ORA with a \`time_now\` call vs without: +${p50(ot, o, "first")} ms to the first token, +${p50(ot, o, "end")} ms to the whole answer ` +
      `(p99 ${ms(ot.first.p99)} vs ${ms(o.first.p99)} ms to the first token). The same two model calls made directly: +${p50(dt, d, "first")} ms to the first token: ` +
      `the model's second round trip, SDK included. Measured within each run, at the model: from the end of the first call's response to the second request read, ` +
      `the agent takes ${ms(ot.gap.p50)} ms p50 (p99 ${ms(ot.gap.p99)}), a bare SDK client ${ms(dt.gap.p50)} ms (p99 ${ms(dt.gap.p99)}): so the agent's own work per tool step ` +
      `is ≈ ${p50(ot, dt, "gap")} ms p50 (the tool call's two events sealed and sent to the client, name check, policy verdict, rate limit, audit rows, the tool, the ` +
      `assistant and tool messages stored, the second request built). The fake model's own time per call is ${ms(ot.model2.p50)} ms p50. ` +
      `Agent CPU per chat: ${o.cpuAgentUs.toFixed(0)} µs without a tool, ${ot.cpuAgentUs.toFixed(0)} µs with one (+${(ot.cpuAgentUs - o.cpuAgentUs).toFixed(0)} µs).`,
  );
  return lines.join("\n");
}
