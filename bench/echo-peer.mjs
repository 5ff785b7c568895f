/**
 * The bench's own answering peer (a child process of bench/run.mjs), standing in for the real agent.
 *
 *   node bench/echo-peer.mjs ws://127.0.0.1:PORT/agent [--dialect anchor|ora] [--mode agent|plain|sealed]
 *
 * It prints "ready" once connected (for the `ora` dialect: once welcomed) and exits when its stdin
 * closes (its parent is gone) or on SIGTERM.
 *
 * Dialects (how it talks to the relay in front of it):
 *   anchor  the anchors' forwarding (bench/node-relay.mjs, bench/bare-forwarder): every message
 *           arrives as "<n>|" + the client's own frame ({"t":"req","id":…}) and the answer goes back
 *           with the same prefix as {"t":"res","id":…}. "<n>" names the client session.
 *   ora     the real relay's agent side: it connects to /v1/node/connect with a Node credential
 *           (BENCH_NODE_CREDENTIAL), says hello, reads {"t":"req","rid","s","dev","role"} and answers
 *           {"t":"res","rid"}; sessions are named by "s".
 * Modes (what it does with a request payload):
 *   agent   the real agent's per-request work (node-agent/src/relay/connector.ts + secure/secure-sessions.ts):
 *           the same `ws` client options (handshake timeout, no permessage-deflate), decodeFrame() of
 *           the header with a zod schema from @ora/protocol, the at-most-once id set, an
 *           AbortController per request, the handshake check of every payload, a session's first
 *           request being the handshake (acceptHandshakeV2, or acceptHandshake for version 1, with this peer's long-term key), then
 *           SecureChannel.open of every request, SealedRequest.safeParse, the agent's own built-in
 *           `echo` handler through the registry's dispatch (node-agent/dist/handlers.js: method, role and
 *           params checked against the method catalogue), an awaited run, and
 *           SecureChannel.seal of a {k:"res", re, body:{ok, result}} answer. What it does not do that the
 *           agent does: re-read the paired-device file's stat per request, and log.
 *   plain   the payload is echoed back as is, nothing parsed (E2EE cost, "plain" side)
 *   sealed  handshake as above, then every payload opened and its body re-sealed as the answer
 *           {k:"res", re, body} (E2EE cost, "sealed" side; no handler, no schema)
 * Keys for agent / sealed: BENCH_AGENT_SECRET (this peer's X25519 secret key, base64url) and
 * BENCH_DEVICES ({"<device id>": "<public key, base64url>"}): the devices it accepts, as devices.json
 * does for the agent.
 */
import {
  acceptHandshake,
  acceptHandshakeV2,
  AnyHandshakeHello,
  ClientFrame,
  decodeFrame,
  encodeFrame,
  fromBase64Url,
  parsePayload,
  PONG_FRAME,
  RelayToAgentFrame,
  SealedRequest,
  staticKey,
} from "@ora/protocol";
import WebSocket from "ws";
import { builtinHandlers } from "../node-agent/dist/handlers.js";

const SEEN_LIMIT = 10_000;
const argv = process.argv.slice(2);
const url = argv[0];
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const dialect = opt("dialect", "anchor");
const mode = opt("mode", "agent");
if (!url || !["anchor", "ora"].includes(dialect) || !["agent", "plain", "sealed"].includes(mode)) {
  process.stderr.write("usage: echo-peer.mjs ws://127.0.0.1:PORT/agent [--dialect anchor|ora] [--mode agent|plain|sealed]\n");
  process.exit(2);
}

const handlers = builtinHandlers();
const seen = new Set();
const inflight = new Map();
let nextKey = 1;
const identity = process.env.BENCH_AGENT_SECRET ? staticKey(fromBase64Url(process.env.BENCH_AGENT_SECRET)) : undefined;
const devices = new Map(Object.entries(JSON.parse(process.env.BENCH_DEVICES ?? "{}")).map(([id, key]) => [id, fromBase64Url(key)]));
if (mode !== "plain" && !identity) {
  process.stderr.write("echo-peer: BENCH_AGENT_SECRET is required in this mode\n");
  process.exit(2);
}
/** Channels by session: "<n>|" for the anchors, the relay's session id for the real relay. */
const channels = new Map();

// Same options as the agent's socket.
const ws =
  dialect === "ora"
    ? new WebSocket(url, ["ora.v1"], {
        headers: { Authorization: `Bearer ${process.env.BENCH_NODE_CREDENTIAL}` },
        handshakeTimeout: 10_000,
        perMessageDeflate: false,
      })
    : new WebSocket(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
ws.on("open", () => {
  if (dialect === "ora") ws.send(encodeFrame({ t: "hello", v: 1, agent: "bench-echo-peer" }));
  else process.stdout.write("ready\n");
});
ws.on("error", (error) => {
  process.stderr.write(`echo-peer: ${error.message}\n`);
  process.exit(1);
});
ws.on("close", () => process.exit(0));
ws.on("message", (data, isBinary) => (dialect === "ora" ? onOra(data, isBinary) : onAnchor(data, isBinary)));

function onAnchor(data, isBinary) {
  const raw = isBinary ? "" : data.toString();
  const bar = raw.indexOf("|");
  const prefix = raw.slice(0, bar + 1);
  const text = raw.slice(bar + 1);
  if (text === PONG_FRAME) return;
  const frame = decodeFrame(text, ClientFrame);
  if (!frame.ok) return process.stderr.write(`echo-peer: invalid frame: ${frame.message}\n`);
  if (frame.header.t !== "req") return; // hello, ack, cancel, ping: nothing to do (acks are the relay's business)
  const id = frame.header.id;
  void execute(prefix, prefix, frame.payload, (t, payload) => ws.send(prefix + encodeFrame({ t, id }, payload)));
}

function onOra(data, isBinary) {
  const text = isBinary ? "" : data.toString();
  if (text === PONG_FRAME) return;
  const frame = decodeFrame(text, RelayToAgentFrame);
  if (!frame.ok) return process.stderr.write(`echo-peer: invalid frame: ${frame.message}\n`);
  const header = frame.header;
  if (header.t === "welcome") return void process.stdout.write("ready\n");
  if (header.t === "session" && !header.open) return void channels.delete(header.s);
  if (header.t !== "req") return;
  const rid = header.rid;
  void execute(header.s, header.dev, frame.payload, (t, payload) => ws.send(encodeFrame({ t, rid }, payload)));
}

async function execute(session, relayDevice, payload, reply) {
  if (mode === "plain") return reply("res", payload ?? "");
  const key = nextKey++;
  if (seen.has(key)) return;
  seen.add(key);
  if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
  const controller = new AbortController();
  inflight.set(key, controller);
  const send = (t, text) => {
    if (!controller.signal.aborted && ws.readyState === WebSocket.OPEN) reply(t, text);
  };
  const refuse = (message) => send("res", JSON.stringify({ ok: false, error: { code: "failed", message } }));
  try {
    const hello = AnyHandshakeHello.safeParse(parsePayload(payload));
    if (hello.success) {
      const devicePublicKey = devices.get(hello.data.dev);
      if (!devicePublicKey || (relayDevice !== session && hello.data.dev !== relayDevice)) return refuse("this device is not paired with this PC");
      const keys = { agentKey: identity, devicePublicKey };
      const { answer, channel } = hello.data.e2e === 2 ? await acceptHandshakeV2(hello.data, keys) : await acceptHandshake(hello.data, keys);
      channels.set(session, channel);
      return send("res", JSON.stringify(answer));
    }
    const channel = channels.get(session);
    if (!channel) return refuse("no end-to-end session: handshake first");
    let opened;
    try {
      opened = channel.open(payload ?? "");
    } catch {
      return refuse("the request failed end-to-end verification");
    }
    if (mode === "sealed") return send("res", channel.seal({ k: "res", re: opened.seq, body: opened.message.body }).payload);
    const request = SealedRequest.safeParse(opened.message);
    if (!request.success) return refuse("the sealed request is not {method, params}");
    const caller = { requester: { device: relayDevice, role: "owner", user: "owner", via: "relay", session }, name: "" };
    const body = await handlers.dispatch(request.data.body.method, request.data.body.params, caller, { signal: controller.signal, emit: () => {} });
    send("res", channel.seal({ k: "res", re: opened.seq, body }).payload);
  } finally {
    inflight.delete(key);
  }
}

process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
