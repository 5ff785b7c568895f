/**
 * Bench anchor (c): a plain Node `ws` relay (a child process of bench/run.mjs).
 *
 *   node bench/node-relay.mjs      prints {"port":N} once listening on 127.0.0.1
 *
 * Same forwarding as the bare DO forwarder (bench/bare-forwarder/src/index.js): one /agent socket,
 * any number of /client sockets numbered 1, 2, 3 …; client → agent "<n>|" + message, agent → client
 * by that prefix; binary messages alike, the prefix as bytes. No parsing, no checks. Default `ws` server options. Exits when its stdin closes
 * (its parent is gone) or on SIGTERM.
 */
import { WebSocketServer } from "ws";

const BAR = "|".charCodeAt(0);
let agent = null;
const byNumber = new Map();
let next = 1;

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
wss.on("listening", () => process.stdout.write(`${JSON.stringify({ port: wss.address().port })}\n`));
wss.on("connection", (ws, request) => {
  if (request.url === "/agent") {
    agent?.close(1000, "replaced");
    agent = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        const bar = data.indexOf(BAR);
        return byNumber.get(data.toString("latin1", 0, bar))?.send(data.subarray(bar + 1));
      }
      const text = data.toString();
      const bar = text.indexOf("|");
      byNumber.get(text.slice(0, bar))?.send(text.slice(bar + 1));
    });
    ws.on("close", () => {
      if (agent === ws) agent = null;
    });
    return;
  }
  const n = String(next++);
  const prefix = `${n}|`;
  byNumber.set(n, ws);
  const prefixBytes = Buffer.from(prefix);
  ws.on("message", (data, isBinary) => agent?.send(isBinary ? Buffer.concat([prefixBytes, data]) : prefix + data.toString()));
  ws.on("close", () => byNumber.delete(n));
});

process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
