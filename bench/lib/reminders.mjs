/**
 * The reminders phase: how close to its due time a reminder reaches the phone. The real relay
 * (workerd, Web Push on with a VAPID key made here), the real agent, one owner device (an OraClient)
 * subscribed to a push sink on 127.0.0.1 (push-sink.mjs). Every time is lateness after the due time
 * in wall-clock ms, the clock the due times are kept in (Date.now on the agent and in the relay):
 *
 *   anchor  a plain setTimeout in the bench process aimed at each due instant → it runs
 *   awake   reminders due 3 s ahead and on, sooner than the 15 s the agent keeps to itself, so it
 *           delivers them: due → the sink has the notification (the agent seals it, the relay signs it
 *           and POSTs it), and due → the device has the sealed `schedule` push of the delivered run
 *   asleep  reminders due 20–23 s ahead, which the agent deposits at the relay; once the relay holds
 *           them the agent is stopped, and the relay's alarm sends them: due → the sink has them
 *
 * The awake batch first (its first reminders a warm-up), then the asleep one.
 */
import { performance } from "node:perf_hooks";
import { OraClient } from "@ora/protocol";
import WsWebSocket from "ws";
import { quantile as sortedQuantile } from "./load.mjs";
import { startPushSink } from "./push-sink.mjs";
import { provisionAgentDevice } from "./secure-session.mjs";
import { nodeMetrics, stack, startAgent, startOraWorker } from "./targets.mjs";

/** The first awake reminder is due this far ahead, the next ones AWAKE_GAP_MS apart. */
const AWAKE_AHEAD_MS = 3000;
const AWAKE_GAP_MS = 300;
/** The first asleep reminder is due this far ahead (the agent deposits those due over 15 s ahead), the last ASLEEP_SPAN_MS later. */
const ASLEEP_AHEAD_MS = 20_000;
const ASLEEP_SPAN_MS = 3000;

const quantile = (list, q) =>
  sortedQuantile(
    [...list].sort((a, b) => a - b),
    q,
  );
const summary = (list) => ({ n: list.length, min: Math.min(...list), p50: quantile(list, 0.5), p99: quantile(list, 0.99), max: Math.max(...list) });

class PlainWebSocket extends WsWebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

/**
 * Wall-clock ms with the monotonic clock's resolution: performance.now(), aligned with Date.now at one
 * of its ticks (Date.now alone counts whole ms, as coarse as what is measured).
 */
function wallClock() {
  const t = Date.now();
  let tick = t;
  while (tick === t) tick = Date.now();
  const offset = tick - performance.now();
  return () => offset + performance.now();
}

/** A VAPID key pair for the relay, as test/e2e/deposits.test.ts makes it. */
async function vapidKeys() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const publicKey = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey)).toString("base64url");
  const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey, privateKey: d };
}

/** Resolves once `check()` is true; rejects after `ms`. */
async function until(what, check, ms) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${Math.round(ms)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function benchReminders(startWorkerFn, { runs, asleep, warmup, log, track }) {
  log("bench: reminders — the real relay and the real agent, one owner device subscribed to a push sink");
  const cleanup = stack();
  track({ name: "reminders", stop: cleanup.stop });
  const started = performance.now();
  const wall = wallClock();
  try {
    const sink = await startPushSink({ now: wall });
    cleanup.push(sink.close);
    const vapid = await vapidKeys();
    const vars = {
      ORA_VAPID_PRIVATE_KEY: vapid.privateKey,
      ORA_VAPID_PUBLIC_KEY: vapid.publicKey,
      ORA_VAPID_SUBJECT: "mailto:bench@example.test",
      ORA_PUSH_ALLOW_LOOPBACK: "1",
      // 60 per minute by default: a larger --reminder-runs would be held back.
      ORA_PUSH_PER_MINUTE: "10000",
    };
    const { worker, url } = await startOraWorker(startWorkerFn, { vars });
    cleanup.push(() => worker.dispose());
    const { agent, stateDir, node } = await startAgent(url, cleanup);
    const device = await provisionAgentDevice(url, node.credential, stateDir, "bench-phone");
    const identity = { relay: url, device: device.id, credential: device.credential, key: device.key, agentPublicKey: device.agentPublicKey };
    const client = await OraClient.connect({ identity, WebSocket: globalThis.WebSocket ?? PlainWebSocket, timeoutMs: 10_000 });
    cleanup.push(async () => client.close());
    const subscribed = await client.request("notifications.subscribe", await sink.subscribe("phone"));
    if (!subscribed.enabled) throw new Error(`notifications.subscribe: ${JSON.stringify(subscribed)}`);

    /** Run id → when the device had the sealed `schedule` push of it delivered, and the run. */
    const delivered = new Map();
    client.onPush((push) => {
      if (push.event === "schedule" && push.data.run?.state === "delivered") delivered.set(push.data.run.id, { at: wall(), run: push.data.run });
    });
    const arrivals = (runId) => sink.arrivals("phone").filter((a) => a.notification?.tag === runId);

    const anchor = [];
    /** Creates a reminder due at `dueAt` (whole ms), and aims the anchor's timer at the same instant; resolves with its run id. */
    const create = async (dueAt, text, aim = true) => {
      const { schedule } = await client.request("schedules.create", { when: new Date(dueAt).toISOString(), text });
      if (schedule.nextAt !== dueAt) throw new Error(`asked for ${dueAt}, the agent understood ${schedule.nextAt}`);
      // As the agent's scheduler arms its timer: the wait computed from Date.now.
      if (aim) setTimeout(() => anchor.push(wall() - dueAt), dueAt - Date.now());
      return { runId: `${schedule.id}@${dueAt}`, dueAt };
    };

    // Awake: the agent delivers.
    const first = Math.ceil(wall()) + AWAKE_AHEAD_MS;
    const awakeRuns = [];
    for (let i = 0; i < warmup + runs; i++) {
      const made = await create(first + i * AWAKE_GAP_MS, `bench reminder ${i}`, i >= warmup);
      if (i >= warmup) awakeRuns.push(made);
    }
    const lastAwake = first + (warmup + runs - 1) * AWAKE_GAP_MS;
    await until(
      "the awake reminders delivered",
      () => awakeRuns.every((r) => delivered.has(r.runId) && arrivals(r.runId).length > 0),
      lastAwake + 15_000 - wall(),
    );
    const notByAgent = awakeRuns.filter((r) => delivered.get(r.runId).run.notifiedBy !== "agent");
    if (notByAgent.length > 0) throw new Error(`awake reminders notified by someone else than the agent: ${notByAgent.map((r) => r.runId).join(", ")}`);
    log(`bench: reminders — ${runs} delivered by the awake agent; now ${asleep} for the relay to send`);

    // Asleep: the relay sends them from deposits, the agent stopped.
    const before = (await nodeMetrics(url, node.nodeId)).deposits ?? {};
    const firstAsleep = Math.ceil(wall()) + ASLEEP_AHEAD_MS;
    const asleepRuns = [];
    for (let i = 0; i < asleep; i++)
      asleepRuns.push(await create(firstAsleep + Math.round((i * ASLEEP_SPAN_MS) / Math.max(1, asleep - 1)), `bench deposit ${i}`));
    const held = async () => ((await nodeMetrics(url, node.nodeId)).deposits?.held ?? 0) >= asleep;
    await until("the relay holds the deposits", held, 10_000);
    await agent.stop();
    const stoppedAheadMs = firstAsleep - wall();
    const lastAsleep = asleepRuns.at(-1).dueAt;
    await until("the deposited reminders sent", () => asleepRuns.every((r) => arrivals(r.runId).length > 0), lastAsleep + 15_000 - wall());
    // Let a second copy, if any were coming, arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = (await nodeMetrics(url, node.nodeId)).deposits ?? {};
    const deposits = { sent: (after.sent ?? 0) - (before.sent ?? 0), withdrawn: (after.withdrawn ?? 0) - (before.withdrawn ?? 0), held: after.held ?? 0 };
    if (deposits.sent !== asleep) throw new Error(`the relay sent ${deposits.sent} deposits, not ${asleep}: ${JSON.stringify(after)}`);

    const all = sink.arrivals("phone");
    const result = {
      runs,
      warmup,
      asleep,
      anchor: summary(anchor),
      tick: summary(awakeRuns.map((r) => delivered.get(r.runId).run.lateMs)),
      awakePush: summary(awakeRuns.map((r) => arrivals(r.runId)[0].at - r.dueAt)),
      awakeTold: summary(awakeRuns.map((r) => delivered.get(r.runId).at - r.dueAt)),
      asleepPush: summary(asleepRuns.map((r) => arrivals(r.runId)[0].at - r.dueAt)),
      // Every notification that reached the sink more than once, or did not open.
      duplicates: [...awakeRuns, ...asleepRuns].filter((r) => arrivals(r.runId).length > 1).length,
      unreadable: all.filter((a) => a.error).length,
      pushes: all.length,
      deposits,
      stoppedAheadMs,
      clockDriftMs: wall() - Date.now(),
      seconds: (performance.now() - started) / 1000,
    };
    log(
      `bench: reminders p50 late — anchor ${result.anchor.p50.toFixed(2)} ms, awake push ${result.awakePush.p50.toFixed(2)} ms ` +
        `(max ${result.awakePush.max.toFixed(1)}), asleep push ${result.asleepPush.p50.toFixed(2)} ms (max ${result.asleepPush.max.toFixed(1)}); ` +
        `the bench's clock ended ${result.clockDriftMs.toFixed(2)} ms off Date.now`,
    );
    return result;
  } finally {
    await cleanup.stop();
  }
}

const ms = (v) => v.toFixed(2);

export function renderReminders(r, machine) {
  const lines = [];
  lines.push("### Reminders: how close to its due time a reminder reaches the phone");
  lines.push("");
  lines.push(
    `Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${Math.round(r.seconds)} s: ${r.runs} reminders due ${AWAKE_AHEAD_MS / 1000} s ahead and on, ` +
      `${AWAKE_GAP_MS} ms apart, delivered by the awake agent (after ${r.warmup} warm-up ones), then ${r.asleep} due ${ASLEEP_AHEAD_MS / 1000}–${(ASLEEP_AHEAD_MS + ASLEEP_SPAN_MS) / 1000} s ahead, ` +
      "deposited at the relay and sent by its alarm after the agent was stopped; one owner device (an OraClient, E2EE) subscribed to a push sink on 127.0.0.1, " +
      "the real relay (workerd) and the real agent. Each number is how late something happened after the due time, in wall-clock ms (negative: early).",
  );
  lines.push("");
  lines.push(`- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
  lines.push(`- Software: Node ${machine.node}; workerd ${machine.workerd}; wrangler ${machine.wrangler}`);
  lines.push("");
  lines.push("| late after the due time | n | min ms | p50 ms | p99 ms | max ms | p50 vs the anchor |");
  lines.push("|---|---:|---:|---:|---:|---:|---:|");
  const versus = (s) => {
    const plus = `${s.p50 >= r.anchor.p50 ? "+" : "−"}${ms(Math.abs(s.p50 - r.anchor.p50))} ms`;
    // A ratio to a p50 of a few hundredths of a millisecond says nothing.
    return r.anchor.p50 >= 0.1 ? `${plus} (${(s.p50 / r.anchor.p50).toFixed(1)}×)` : plus;
  };
  const row = (label, s, vs = true) =>
    lines.push(`| ${label} | ${s.n} | ${ms(s.min)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${vs ? versus(s) : "—"} |`);
  row("anchor: a `setTimeout` in the bench process aimed at each due instant → it runs", r.anchor, false);
  row("awake: the agent's scheduler claims the run (its own `run.lateMs`: whole ms, never below 0)", r.tick, false);
  row("awake: → the push service has the notification (the agent seals it, the relay signs and POSTs it)", r.awakePush);
  row("awake: → the device has the sealed `schedule` push (run delivered)", r.awakeTold);
  row("asleep: → the push service has the notification (the relay's alarm, the agent stopped)", r.asleepPush);
  lines.push("");
  lines.push(
    `A reminder reaches the push service ${ms(r.awakePush.p50)} ms p50 after its due time when the PC is awake (slowest ${ms(r.awakePush.max)} ms), ` +
      `${ms(r.asleepPush.p50)} ms p50 when the relay sends it for a PC that is off (slowest ${ms(r.asleepPush.max)} ms); ` +
      `a plain timer in the bench process, on the same machine at the same instants, runs ${ms(r.anchor.p50)} ms p50 late (slowest ${ms(r.anchor.max)} ms). ` +
      `Each of the ${r.runs + r.asleep} measured reminders reached the push service ${r.duplicates === 0 ? "exactly once" : `more than once ${r.duplicates} times`}` +
      `${r.unreadable === 0 ? "" : `, and ${r.unreadable} messages did not open`} (${r.pushes} pushes in all, warm-up included); ` +
      `the relay sent ${r.deposits.sent} deposits, ${r.deposits.withdrawn} withdrawn, ${r.deposits.held} left held. The agent was stopped ${ms(r.stoppedAheadMs / 1000)} s before the first deposit was due. ` +
      (Math.max(r.runs, r.asleep, r.anchor.n) <= 100 ? "With n ≤ 100, each p99 is the slowest one. " : "") +
      // The bench's clock is performance.now() aligned with Date.now once: say so if they parted.
      (Math.abs(r.clockDriftMs) >= 1 ? `The bench's clock ended ${ms(r.clockDriftMs)} ms off Date.now (the wall clock was adjusted meanwhile). ` : "") +
      `Outside load during this phase: ${r.otherCores.toFixed(2)} cores on average` +
      (r.otherCores > 0.25 ? ` of ${machine.cores}: a noisy machine, whose load moves the tails (p99, max) more than the p50s.` : "."),
  );
  return lines.join("\n");
}
