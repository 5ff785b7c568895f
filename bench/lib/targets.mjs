/**
 * The targets, each on 127.0.0.1 with a free port and each with its answering peer:
 *
 *   ora   the real relay Worker (wrangler.toml) in workerd + the real agent process (`ora-agent start`)
 *   bare  the bare Durable Object forwarder (bench/bare-forwarder) in workerd + bench/echo-peer.mjs
 *   node  the plain Node `ws` relay (bench/node-relay.mjs) + bench/echo-peer.mjs
 *
 * The answering side never offers permessage-deflate: the agent turns it off (node-agent/src/relay/connector.ts)
 * and the echo peer does the same. Options:
 *   deflate  whether the bench's client sockets offer permessage-deflate (the `ws` default, and what
 *            browsers always do) or not
 *   direct   (workerd targets, diagnostics) bypass wrangler's dev proxy and connect to the Worker's
 *            own workerd socket.
 *   inspect  (workerd targets, diagnostics) open the V8 inspector; the target gets an `inspectorUrl`.
 * A target offers session() (a new client session, ready for requests), stop(), `pids`: the PIDs of its
 * answering peer, and for workerd targets `proxyPids`: wrangler's dev proxy (the bench counts every
 * other process a target starts as its relay).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { handshake, plainCodec, provisionAgentDevice, provisionPeerDevice, sealedCodec } from "./secure-session.mjs";
import { BODY, openSocket, Session } from "./load.mjs";
import { spawnNode } from "./procs.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const PEPPER = "bench-pepper-0123456789abcdef0123";
export const ADMIN_TOKEN = "bench-admin-token-0123456789";
export const AGENT_BIN = join(root, "node-agent/bin/ora-agent.js");
const ECHO_PEER = join(root, "bench/echo-peer.mjs");
/** The relay's settings for every ORA target: the bench's load and its many pairings are not abuse. */
const ORA_VARS = {
  ORA_TOKEN_PEPPER: PEPPER,
  ORA_ADMIN_TOKEN: ADMIN_TOKEN,
  ORA_RELAY_MAX_PENDING: "100000",
  ORA_RELAY_MAX_PENDING_PER_SESSION: "100000",
  ORA_RELAY_MAX_SESSIONS: "100000",
  ORA_REGISTER_LIMIT_PER_HOUR: "100000",
  ORA_PAIR_CLAIMS_PER_MINUTE: "10000",
  ORA_PAIR_CLAIMS_PER_HOUR: "100000",
};
/** The agent's settings for the bench: LOW tool calls are not rate limited (default 120 per minute). */
// ORA_SECRETS=file: the bench reads the Node credential from secrets.json, and never writes to a desktop keychain.
const AGENT_ENV = { ORA_RATE_LOW: "1000000000", ORA_SECRETS: "file" };
const NODE_RELAY = join(root, "bench/node-relay.mjs");
/** The relay's default flow window (4 × 1 MiB); the anchors' clients ack on the same schedule. */
const DEFAULT_WINDOW = 4 * 1024 * 1024;

/** Collects clean-up steps; stop() runs them newest first. */
export function stack() {
  const steps = [];
  return {
    push: (step) => steps.push(step),
    stop: async () => {
      while (steps.length)
        await steps
          .pop()()
          .catch(() => undefined);
    },
  };
}

async function startWorker(startWorkerFn, config, vars, direct, inspect = false) {
  const before = new Set(childPids("workerd"));
  const worker = await startWorkerFn({
    config,
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text", value: v }])),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: inspect ? { hostname: "127.0.0.1", port: 0 } : false,
      watch: false,
      persist: false,
      logLevel: "error",
    },
  });
  try {
    await worker.ready;
    let url = (await worker.url).origin;
    // The proxy is ready before the Worker's own workerd is: a first request waits for it.
    await (await fetch(url)).arrayBuffer();
    const proxyPort = Number(new URL(url).port);
    const proxyPids = listening(before)
      .filter((l) => l.port === proxyPort)
      .map((l) => l.pid);
    if (direct) {
      const ports = directPorts(proxyPort, before);
      if (ports.length !== 1) throw new Error(`cannot find the Worker's own socket: ${JSON.stringify(ports)}`);
      url = `http://127.0.0.1:${ports[0].port}`;
    }
    const inspectorUrl = inspect ? (await worker.inspectorUrl)?.href : undefined;
    return { worker, url, proxyPids, inspectorUrl };
  } catch (error) {
    await worker.dispose();
    throw error;
  }
}

export function wsUrl(httpUrl, path) {
  const url = new URL(path, httpUrl);
  url.protocol = "ws:";
  return url.href;
}

function suffix({ direct }) {
  return direct ? " (direct, no dev proxy)" : "";
}

/** The ORA relay Worker alone (for the scenarios that bring their own peers or agents); `vars` override ORA_VARS. */
export async function startOraWorker(startWorkerFn, { direct = false, inspect = false, config = "wrangler.toml", vars = {} } = {}) {
  return startWorker(startWorkerFn, join(root, config), { ...ORA_VARS, ...vars }, direct, inspect);
}

/** Registers a Node at the relay: { nodeId, credential }. */
export async function registerNode(url) {
  const response = await fetch(new URL("/v1/nodes", url), { method: "POST" });
  if (response.status !== 201 && response.status !== 200) throw new Error(`registering a Node: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/** The relay's metrics of one Node (the admin endpoint), or `{error}`. */
export async function nodeMetrics(url, nodeId) {
  const response = await fetch(new URL(`/v1/admin/nodes/${nodeId}/metrics`, url), { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
  return response.status === 200 ? response.json() : { error: `HTTP ${response.status}` };
}

/**
 * Starts `ora-agent start` on a fresh state directory against `url`; resolves once it is connected.
 * `files` are written into the state directory first (e.g. providers.json); `env` adds to AGENT_ENV;
 * `nodeArgs` go to Node before the agent's script (e.g. --inspect).
 */
export async function startAgent(url, cleanup, { files = {}, env = {}, nodeArgs = [] } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), "ora-bench-agent-"));
  cleanup.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(stateDir, name), text, { mode: 0o600 });
  const agent = spawnNode([...nodeArgs, AGENT_BIN, "start", "--relay", url, "--state-dir", stateDir], { name: "ora-agent", env: { ...AGENT_ENV, ...env } });
  cleanup.push(() => agent.stop());
  await agent.waitFor("connected; waiting for requests");
  const registration = JSON.parse(readFileSync(join(stateDir, "node.json"), "utf8"));
  const secrets = JSON.parse(readFileSync(join(stateDir, "secrets.json"), "utf8"));
  return { agent, stateDir, node: { ...registration, credential: secrets["node.credential"] } };
}

/**
 * Opens a client session on the real relay: hello, welcome, then (for a sealed session) the
 * end-to-end handshake as the first request. `body` is the request every round trip sends.
 */
export async function oraSession(url, device, { deflate = false, body = BODY, sealed = true, check, credit = false } = {}) {
  const ws = await openSocket(wsUrl(url, "/v1/client/connect"), {
    protocols: ["ora.v1"],
    headers: { Authorization: `Bearer ${device.credential}` },
    perMessageDeflate: deflate,
  });
  try {
    const welcome = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no welcome within 5 s")), 5000);
      ws.once("message", (data) => {
        clearTimeout(timer);
        resolve({ text: data.toString(), bytes: data.length });
      });
      // As the apps' client does: binary data frames, and stream credit when asked for (a session
      // that says credit and never grants any is a reader that stopped).
      ws.send(JSON.stringify({ t: "hello", v: 1, bin: true, ...(credit ? { credit: true } : {}) }));
    });
    const header = JSON.parse(welcome.text);
    if (header.t !== "welcome") throw new Error(`expected welcome, got ${welcome.text}`);
    if (!header.online) throw new Error("the agent is not online");
    if (!sealed) return new Session(ws, header.limits.windowBytes, welcome.bytes, plainCodec(body), check);
    const hs = await handshake(ws, device, (payload) => ws.send(`{"t":"req","id":"h0"}\n${payload}`));
    return new Session(ws, header.limits.windowBytes, welcome.bytes + hs.bytes, sealedCodec(hs.channel, body), check, { binary: header.bin === true });
  } catch (error) {
    ws.terminate();
    throw error;
  }
}

/**
 * (a) the ORA relay with the real agent process, and one device paired into the agent's state:
 * every session handshakes, every request is sealed. `config` swaps in a diagnostic build of the relay.
 */
export async function startOra(
  startWorkerFn,
  { deflate = true, direct = false, inspect = false, config = "wrangler.toml", name = "ora", label = "ORA relay + real agent" } = {},
) {
  const cleanup = stack();
  try {
    const { worker, url, proxyPids, inspectorUrl } = await startOraWorker(startWorkerFn, { direct, inspect, config });
    cleanup.push(() => worker.dispose());
    const { agent, stateDir, node } = await startAgent(url, cleanup);
    const device = await provisionAgentDevice(url, node.credential, stateDir);
    return {
      name,
      label: label + suffix({ direct }),
      url,
      pids: [agent.pid],
      proxyPids,
      inspectorUrl,
      stateDir,
      device,
      session: (options = {}) => oraSession(url, device, { deflate, ...options }),
      metrics: () => nodeMetrics(url, node.nodeId),
      stop: cleanup.stop,
    };
  } catch (error) {
    await cleanup.stop();
    throw error;
  }
}

/**
 * E2EE cost: the ORA relay with two echo peers connected as two Nodes, one echoing payloads as they
 * are ("plain"), one opening and re-sealing them ("sealed"). Returns both as targets on the same Worker.
 */
export async function startEchoOnOra(startWorkerFn, { deflate = false } = {}) {
  const cleanup = stack();
  try {
    const { worker, url, proxyPids } = await startOraWorker(startWorkerFn);
    cleanup.push(() => worker.dispose());
    const make = async (mode) => {
      const node = await registerNode(url);
      const device = await provisionPeerDevice(url, node.credential, `bench-${mode}`);
      const peer = await startEchoPeer(wsUrl(url, "/v1/node/connect"), ["--dialect", "ora", "--mode", mode], {
        ...device.peerEnv,
        BENCH_NODE_CREDENTIAL: node.credential,
      });
      cleanup.push(() => peer.stop());
      return {
        name: `echo-${mode}`,
        label: `ORA relay + echo peer, ${mode}`,
        url,
        pids: [peer.pid],
        proxyPids,
        session: (options = {}) => oraSession(url, device, { deflate, sealed: mode === "sealed", ...options }),
      };
    };
    const plain = await make("plain");
    const sealed = await make("sealed");
    return { url, plain, sealed, stop: cleanup.stop };
  } catch (error) {
    await cleanup.stop();
    throw error;
  }
}

export async function startEchoPeer(agentUrl, args = [], env = {}) {
  const peer = spawnNode([ECHO_PEER, agentUrl, ...args], { name: "echo-peer", env });
  try {
    await peer.waitFor("ready");
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return peer;
}

/**
 * An anchor target: the clients speak the same frames as to the real relay (minus hello / welcome,
 * which the anchors do not have), handshake with the echo peer and seal every request.
 */
function anchor(name, label, url, deflate, pids, stop, device) {
  return {
    name,
    label,
    url,
    pids,
    async session({ body = BODY, check } = {}) {
      const ws = await openSocket(wsUrl(url, "/client"), { perMessageDeflate: deflate });
      try {
        const hs = await handshake(ws, device, (payload) => ws.send(`{"t":"req","id":"h0"}\n${payload}`));
        return new Session(ws, DEFAULT_WINDOW, hs.bytes, sealedCodec(hs.channel, body), check);
      } catch (error) {
        ws.terminate();
        throw error;
      }
    },
    stop,
  };
}

/** (b) the bare Durable Object forwarder with the echo peer. `diag` adds one cost (see the worker). */
export async function startBare(startWorkerFn, { deflate = true, direct = false, inspect = false, diag = "none" } = {}) {
  const cleanup = stack();
  try {
    const { worker, url, proxyPids, inspectorUrl } = await startWorker(
      startWorkerFn,
      join(root, "bench/bare-forwarder/wrangler.toml"),
      { BENCH_DIAG: diag },
      direct,
      inspect,
    );
    cleanup.push(() => worker.dispose());
    const device = await provisionPeerDevice();
    const peer = await startEchoPeer(wsUrl(url, "/agent"), [], device.peerEnv);
    cleanup.push(() => peer.stop());
    const name = `bare${diag === "none" ? "" : `+${diag}`}${direct ? "@direct" : ""}`;
    const label = `bare DO forwarder${diag === "none" ? "" : ` + ${diag} writes`} + echo peer${suffix({ direct })}`;
    return { ...anchor(name, label, url, deflate, [peer.pid], cleanup.stop, device), proxyPids, inspectorUrl };
  } catch (error) {
    await cleanup.stop();
    throw error;
  }
}

/** (c) the plain Node `ws` relay with the echo peer. */
export async function startNodeRelay({ deflate = true } = {}) {
  const cleanup = stack();
  try {
    const relay = spawnNode([NODE_RELAY], { name: "node-relay" });
    cleanup.push(() => relay.stop());
    const line = await relay.waitFor('{"port":');
    const { port } = JSON.parse(line.slice(line.indexOf('{"port":')).split("\n")[0]);
    const url = `http://127.0.0.1:${port}`;
    const device = await provisionPeerDevice();
    const peer = await startEchoPeer(wsUrl(url, "/agent"), [], device.peerEnv);
    cleanup.push(() => peer.stop());
    return anchor("node", "plain Node ws relay + echo peer", url, deflate, [peer.pid], cleanup.stop, device);
  } catch (error) {
    await cleanup.stop();
    throw error;
  }
}

/**
 * Diagnostics: the loopback ports on which the workerd processes started by this process listen,
 * minus `except` and those of the processes in `ignore`. unstable_startWorker runs two workerd processes per Worker: wrangler's dev proxy
 * (the URL it reports) and the Worker itself; the remaining port is the Worker's own entry socket.
 */
export function directPorts(except, ignore = new Set()) {
  return listening(ignore).filter((l) => l.port !== except);
}

/** Loopback TCP ports listened on by this process's workerd children, except those in `ignore`. */
function listening(ignore) {
  const mine = new Set(childPids("workerd").filter((pid) => !ignore.has(pid)));
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8", timeout: 5000 });
  const ports = [];
  for (const line of out.split("\n")) {
    const pid = Number(/pid=(\d+)/.exec(line)?.[1]);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    if (mine.has(pid) && port) ports.push({ pid, port });
  }
  return ports;
}

/** PIDs of this process's direct children (optionally only those whose command name is `comm`). */
export function childPids(comm) {
  const pids = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    const stat = procStat(pid);
    if (stat && stat.ppid === process.pid && (comm === undefined || stat.comm === comm)) pids.push(Number(pid));
  }
  return pids;
}

/** Parsed /proc/<pid>/stat: command name, parent, CPU time used (user + system) and system time, in clock ticks. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const user = Number(fields[11]);
    const system = Number(fields[12]);
    return { comm: stat.slice(stat.indexOf("(") + 1, close), ppid: Number(fields[1]), ticks: user + system, system };
  } catch {
    return null;
  }
}
