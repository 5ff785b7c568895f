/**
 * The anchors' answering peer (a child process of bench/run.mjs), standing in for the real agent.
 *
 *   node bench/echo-peer.mjs ws://127.0.0.1:PORT/agent
 *
 * It prints "ready" once connected and exits when its stdin closes (its parent is gone) or on SIGTERM.
 *
 * So that the anchors are compared fairly with the relay + real agent, it does the same work per
 * request as the agent's Connector (node-agent/src/connector.ts): the same `ws` client with the same
 * options (handshake timeout, no permessage-deflate), decodeFrame() of the header with a zod schema
 * from @ora/protocol, the at-most-once id set, an AbortController per request, RequestPayload.safeParse
 * of the JSON payload, the agent's own built-in `echo` handler (node-agent/dist/handlers.js) with its
 * params schema, an awaited run, and encodeFrame of a {ok, result} answer. The only extra work is the "<n>|" prefix of the anchors.
 */
import { ClientFrame, decodeFrame, encodeFrame, PONG_FRAME, RequestPayload } from "@ora/protocol";
import WebSocket from "ws";
import { builtinHandlers } from "../node-agent/dist/handlers.js";

const SEEN_LIMIT = 10_000;
const url = process.argv[2];
if (!url) {
  process.stderr.write("usage: echo-peer.mjs ws://127.0.0.1:PORT/agent\n");
  process.exit(2);
}

const handlers = builtinHandlers();
const seen = new Set();
const inflight = new Map();
let nextKey = 1;

// Same options as the agent's socket (subprotocol and credential aside: the anchors do not check them).
const ws = new WebSocket(url, { handshakeTimeout: 10_000, perMessageDeflate: false });
ws.on("open", () => process.stdout.write("ready\n"));
ws.on("error", (error) => {
  process.stderr.write(`echo-peer: ${error.message}\n`);
  process.exit(1);
});
ws.on("close", () => process.exit(0));
ws.on("message", (data, isBinary) => {
  const raw = isBinary ? "" : data.toString();
  const bar = raw.indexOf("|");
  const prefix = raw.slice(0, bar + 1);
  const text = raw.slice(bar + 1);
  if (text === PONG_FRAME) return;
  const frame = decodeFrame(text, ClientFrame);
  if (!frame.ok) return process.stderr.write(`echo-peer: invalid frame: ${frame.message}\n`);
  if (frame.header.t === "req") void execute(prefix, frame.header.id, frame.payload);
  // hello, ack, cancel, ping: nothing to do for an echo peer (acks are the relay's business).
});

async function execute(prefix, id, payload) {
  const key = nextKey++;
  if (seen.has(key)) return;
  seen.add(key);
  if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value);
  const controller = new AbortController();
  inflight.set(key, controller);
  const send = (t, body) => {
    if (!controller.signal.aborted && ws.readyState === WebSocket.OPEN) ws.send(prefix + encodeFrame({ t, id }, JSON.stringify(body)));
  };
  try {
    const parsed = RequestPayload.safeParse(parseJson(payload));
    if (!parsed.success) throw new Error("bad_params");
    const handler = handlers.get(parsed.data.method);
    if (!handler) throw new Error("unknown_method");
    const params = handler.params.safeParse(parsed.data.params);
    if (!params.success) throw new Error("bad_params");
    const result = await handler.run(params.data, { signal: controller.signal, session: prefix, device: "", role: "owner", emit: () => {} });
    send("res", { ok: true, result });
  } catch (error) {
    send("res", { ok: false, error: { code: "failed", message: String(error?.message ?? error) } });
  } finally {
    inflight.delete(key);
  }
}

function parseJson(text) {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
