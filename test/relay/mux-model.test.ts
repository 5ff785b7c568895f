/**
 * Model-based test of the mux core: random sequences of connections, hellos, requests, answers,
 * streams, cancels, acks, passing time, disconnections and evictions, run against the core (through
 * the harness) and against the reference model (model.ts). After every step the frames each peer got
 * must be the ones the model predicts, and two rules must hold whatever happened before:
 *   - no pending entry is orphaned: each belongs to an open session and to the live agent connection,
 *     and the alarm is set no later than the earliest deadline;
 *   - every request gets exactly one ending (res, end or err) while its session is open: the model
 *     predicts each ending once and the comparison fails on a missing one and on a second one.
 * At the end, time runs past every deadline and nothing may still be pending.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import fc from "fast-check";
import { expect, it } from "vitest";
import { CONFIG, device, Harness, type FakeSocket } from "./harness.js";
import { Model, normal, type ModelClient } from "./model.js";

const SLOTS = 3;
const IDS = ["a", "b", "c"];
const CODES = { helloTimeout: CloseCode.HELLO_TIMEOUT, expired: CloseCode.UNAUTHORIZED };

class Real {
  readonly h = new Harness(CONFIG);
  readonly sockets = new Map<string, FakeSocket>();
  private made = 0;

  name(prefix: string): string {
    return `${prefix}#${++this.made}`;
  }

  socket(name: string): FakeSocket {
    return this.sockets.get(name)!;
  }
}

function newModel(real: Real): Model {
  const model = new Model(
    {
      maxPending: CONFIG.maxPending,
      maxPendingPerSession: CONFIG.maxPendingPerSession,
      timeoutMs: CONFIG.timeoutSec * 1000,
      streamMaxMs: CONFIG.streamMaxSec * 1000,
      windowBytes: CONFIG.windowBytes,
      helloMs: CONFIG.helloTimeoutSec * 1000,
    },
    SLOTS,
  );
  model.now = real.h.now;
  return model;
}

/** Live client slots; `pick` chooses one of them (or of those `where` holds, when any does). */
function pickClient(m: Readonly<Model>, pick: number, where: (c: ModelClient) => boolean = () => true): number {
  const live = m.clients.flatMap((c, slot) => (c ? [slot] : []));
  const preferred = live.filter((slot) => where(m.clients[slot]!));
  const from = preferred.length > 0 ? preferred : live;
  return from[pick % from.length]!;
}

/** `pick` (0-5) chooses an open request, or now and then one that has ended: its answer is late. */
function pickRid(m: Readonly<Model>, pick: number): number {
  const open = [...m.requests.keys()].sort((a, b) => a - b);
  if (open.length > 0 && pick < 4) return open[pick % open.length]!;
  return m.ended.at(-1 - (pick % 2)) ?? 999_999;
}

/**
 * One command: `act` does it on the real side and tells the model what to expect, and may return a
 * label that says what it did. It may call `observe` first to learn ids the relay chose (a session
 * or relay id); then what every socket received is compared with what the model expects.
 */
function command(label: string, check: (m: Readonly<Model>) => boolean, act: (m: Model, r: Real, observe: () => void) => string | undefined) {
  return {
    check,
    toString: () => label,
    run(m: Model, r: Real) {
      m.expected = new Map();
      m.closes = new Map();
      const wasOpen = [...r.sockets].filter(([, s]) => s.closed === null).map(([name]) => name);
      const delivered = new Map<string, { frames: string[]; bytes: number }>();
      const observe = () => {
        if (delivered.size > 0) return;
        for (const [name, socket] of r.sockets) {
          const fresh = socket.take();
          const toAgent = socket.attachment?.kind === "agent";
          delivered.set(name, {
            frames: fresh.map((f) => normal(f, toAgent)).filter((f) => f !== null),
            bytes: fresh.reduce((n, f) => n + Buffer.byteLength(f.text), 0),
          });
        }
      };
      label = act(m, r, observe) ?? label;
      observe();
      for (const name of new Set([...delivered.keys(), ...m.expected.keys()])) {
        const got = delivered.get(name)?.frames ?? [];
        expect([...got].sort(), `frames to ${name} after "${label}"`).toEqual([...(m.expected.get(name) ?? [])].sort());
      }
      const closed = wasOpen.filter((name) => r.socket(name).closed !== null).map((name) => [name, r.socket(name).closed!.code]);
      expect(Object.fromEntries(closed), `closes after "${label}"`).toEqual(Object.fromEntries(m.closes));
      for (const c of m.clients) {
        if (!c) continue;
        const bytes = delivered.get(c.name)?.bytes ?? 0;
        c.received += bytes;
        c.sent += bytes;
      }
      invariants(m, r);
    },
  } satisfies fc.Command<Model, Real>;
}

function invariants(m: Model, r: Real): void {
  const { h } = r;
  const agent = m.agent && r.socket(m.agent.name);
  for (const entry of h.mux.pending.entries()) {
    const owner = m.clients.find((c) => c?.sid === entry.sid);
    expect(owner && r.socket(owner.name).closed, `request ${entry.rid} belongs to an open session`).toBeNull();
    expect(m.agent?.hello && agent?.closed, `request ${entry.rid} is at the live agent connection`).toBeNull();
  }
  expect(h.mux.pending.size, "the relay's pending requests are the model's open ones").toBe(m.requests.size);
  for (const request of m.requests.values()) {
    expect(h.mux.pending.get(request.rid)).toMatchObject({ sid: m.clients[request.slot]!.sid, id: request.id });
  }
  const due = m.nextDue();
  if (due !== undefined) expect(h.alarmAt, "the alarm comes no later than the earliest deadline").toBeLessThanOrEqual(due);
}

const anyClient = (m: Readonly<Model>) => m.clients.some((c) => c !== null);
const anySession = (m: Readonly<Model>) => m.clients.some((c) => c?.hello);

const connectClient = (lifetime: number | null) =>
  command(
    "connect a client",
    (m) => m.clients.includes(null),
    (m, r) => {
      const slot = m.clients.indexOf(null);
      const name = r.name(`client${slot}`);
      const until = lifetime === null ? null : r.h.now + lifetime;
      r.sockets.set(name, r.h.connectClient(name, device(`dev${slot}`, "guest", until)));
      m.clients[slot] = { name, hello: false, sid: null, openedAt: m.now, until, received: 0, sent: 0, acked: 0 };
      return `connect ${name}${lifetime === null ? "" : ` (credential expires in ${lifetime} ms)`}`;
    },
  );

const connectAgent = () =>
  command(
    "connect an agent",
    () => true,
    (m, r) => {
      const name = r.name("agent");
      r.sockets.set(name, r.h.connectAgent(name));
      if (m.agent) m.agentGone(CloseCode.REPLACED);
      m.agent = { name, hello: false, openedAt: m.now };
      return `connect ${name}`;
    },
  );

const clientHello = (pick: number, version: number) =>
  command(`a client says hello v${version}`, anyClient, (m, r, observe) => {
    const slot = pickClient(m, pick, (c) => !c.hello);
    const c = m.clients[slot]!;
    r.h.send(r.socket(c.name), encodeFrame({ t: "hello", v: version }));
    const label = `${c.name} says hello v${version}`;
    if (version !== 1) {
      m.expect(c.name, "err:-:upgrade_required");
      m.clientGone(slot, CloseCode.UPGRADE_REQUIRED, "client_gone");
      return label;
    }
    if (c.hello) return label;
    c.hello = true;
    observe();
    c.sid = r.socket(c.name).inbox.findLast((f) => f.header.t === "welcome")!.header.session;
    return label;
  });

const agentHello = (version: number) =>
  command(
    `the agent says hello v${version}`,
    (m) => m.agent !== null,
    (m, r) => {
      r.h.send(r.socket(m.agent!.name), encodeFrame({ t: "hello", v: version }));
      if (version === 1) m.agent!.hello = true;
      else {
        m.expect(m.agent!.name, "err:upgrade_required");
        m.agentGone(CloseCode.UPGRADE_REQUIRED);
      }
    },
  );

const request = (pick: number, id: string) =>
  command(`a client requests ${id}`, anyClient, (m, r, observe) => {
    const slot = pickClient(m, pick, (c) => c.hello);
    const c = m.clients[slot]!;
    r.h.send(r.socket(c.name), encodeFrame({ t: "req", id }, "{}"));
    const label = `${c.name} requests ${id}`;
    if (!c.hello) m.expect(c.name, `err:${id}:hello_required`);
    else if (!m.agent?.hello) m.expect(c.name, `err:${id}:node_offline`);
    else if (m.openOf(slot).some((q) => q.id === id)) m.expect(c.name, `err:dup=${id}:id_in_use`);
    else if (m.requests.size >= m.limits.maxPending || m.openOf(slot).length >= m.limits.maxPendingPerSession) m.expect(c.name, `err:${id}:pending_limit`);
    else {
      m.expect(m.agent.name, `req:${c.sid}`);
      observe();
      const rid = r.socket(m.agent.name).inbox.findLast((f) => f.header.t === "req")?.header.rid;
      if (typeof rid === "number") m.requests.set(rid, { slot, id, rid, startedAt: m.now, deadline: m.now + m.limits.timeoutMs });
    }
    return label;
  });

const answer = (pick: number, kind: "res" | "chunk" | "end", size: number) =>
  command(
    `the agent answers with ${kind}`,
    (m) => m.agent?.hello === true,
    (m, r) => {
      const rid = pickRid(m, pick);
      const payload = "p".repeat(size);
      r.h.send(r.socket(m.agent!.name), encodeFrame({ t: kind, rid }, payload));
      const late = !m.requests.has(rid);
      m.answer(rid, kind, payload);
      return `the agent answers rid ${rid}${late ? " (late)" : ""} with ${kind} of ${size} bytes`;
    },
  );

const staleAnswer = (pick: number) =>
  command(
    "a closed agent's last answer arrives",
    (m) => m.closing.length > 0,
    (m, r) => {
      const rid = pickRid(m, pick);
      r.h.send(r.socket(m.closing.at(-1)!), encodeFrame({ t: "res", rid }, "stale"));
      return `${m.closing.at(-1)}, closed, answers rid ${rid}`;
    },
  );

const cancel = (pick: number, id: string) =>
  command(`a client cancels ${id}`, anySession, (m, r) => {
    const slot = pickClient(m, pick, (c) => c.hello);
    const c = m.clients[slot]!;
    r.h.send(r.socket(c.name), encodeFrame({ t: "cancel", id }));
    const open = m.openOf(slot).find((q) => q.id === id);
    if (open) {
      m.end(open.rid, "err:%:cancelled");
      m.toAgent(`cancel:${open.rid}:cancelled`);
    }
    return `${c.name} cancels ${id}`;
  });

const ack = (pick: number) =>
  command("a client acknowledges what it received", anySession, (m, r) => {
    const c = m.clients[pickClient(m, pick, (c) => c.hello)]!;
    r.h.send(r.socket(c.name), encodeFrame({ t: "ack", bytes: c.received }));
    c.acked = Math.min(c.sent, Math.max(c.acked, c.received));
    return `${c.name} acknowledges ${c.received} bytes`;
  });

const advance = (ms: number) =>
  command(
    `${ms} ms pass`,
    () => true,
    (m, r) => {
      r.h.advance(ms);
      m.closing = [];
      m.advance(m.now + ms, CODES);
    },
  );

const disconnectClient = (pick: number) =>
  command("a client disconnects", anyClient, (m, r) => {
    const slot = pickClient(m, pick);
    const name = m.clients[slot]!.name;
    r.h.disconnect(r.socket(name));
    m.clientGone(slot, 1000, "client_gone");
    return `${name} disconnects`;
  });

const disconnectAgent = () =>
  command(
    "the agent disconnects",
    (m) => m.agent !== null,
    (m, r) => {
      r.h.disconnect(r.socket(m.agent!.name));
      m.agentGone(1000, false);
    },
  );

const evict = () =>
  command(
    "the object is evicted and rebuilt from storage",
    () => true,
    (m, r) => {
      r.h.evict();
      // The relay's flow-control counts live in memory: they start again from zero.
      for (const c of m.clients) if (c) c.sent = c.acked = 0;
    },
  );

const pick = fc.nat({ max: 5 });
const id = fc.constantFrom(...IDS);
const requests = fc.tuple(pick, id).map(([p, i]) => request(p, i));
const answers = fc
  .tuple(pick, fc.constantFrom("res" as const, "chunk" as const, "chunk" as const, "end" as const), fc.constantFrom(0, 40, 300, 300, 600))
  .map(([p, k, n]) => answer(p, k, n));
const hellos = fc.tuple(pick, fc.constantFrom(1, 1, 1, 1, 1, 99)).map(([p, v]) => clientHello(p, v));
const clientLifetime = fc.option(fc.integer({ min: 1000, max: 15_000 }), { freq: 3 });
const agentVersion = fc.constantFrom(1, 1, 1, 1, 1, 99);
// Weighted by repetition: mostly the traffic the rules are about, now and then a peer comes or goes.
const commands: fc.Arbitrary<fc.Command<Model, Real>>[] = [
  clientLifetime.map(connectClient),
  fc.constant(null).map(connectAgent),
  pick.map(disconnectClient),
  fc.constant(null).map(disconnectAgent),
  hellos,
  hellos,
  agentVersion.map(agentHello),
  ...Array(5).fill(requests),
  ...Array(6).fill(answers),
  fc.tuple(pick, id).map(([p, i]) => cancel(p, i)),
  pick.map(ack),
  pick.map(ack),
  fc.oneof(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 1, max: 7000 })).map(advance),
  fc.oneof(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 1, max: 7000 })).map(advance),
  pick.map(staleAnswer),
  fc.constant(null).map(evict),
];

it("holds the mux rules over random sequences: every request ends exactly once, and no pending entry outlives its session or agent", () => {
  fc.assert(
    fc.property(fc.commands(commands, { maxCommands: 50, size: "max" }), (cmds) => {
      const real = new Real();
      const model = newModel(real);
      // Each run starts from a working Node (an agent and two sessions) and goes wherever the commands take it.
      for (const c of [connectAgent(), agentHello(1), connectClient(null), clientHello(0, 1), connectClient(null), clientHello(1, 1)]) c.run(model, real);
      fc.modelRun(() => ({ model, real }), cmds);
      // Past every deadline (the stream cap is the longest), nothing may be left owing an ending.
      advance(CONFIG.streamMaxSec * 1000 + CONFIG.helloTimeoutSec * 1000).run(model, real);
      expect(model.requests.size).toBe(0);
      expect(real.h.mux.pending.size).toBe(0);
    }),
    { numRuns: 200 },
  );
});
