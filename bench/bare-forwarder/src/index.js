/**
 * Bench anchor (b): a bare Durable Object forwarder. See ../wrangler.toml.
 *
 *   GET /agent   (WebSocket) the answering peer; a newer one replaces the older
 *   GET /client  (WebSocket) a client session, numbered 1, 2, 3 … within this object
 *
 * client → agent   "<n>|" + message, unchanged
 * agent  → client  "<n>|<message>" is sent to client n as "<message>"
 *
 * BENCH_DIAG (a binding, diagnostics only) adds one piece of the relay's per-request work so its
 * cost can be measured in isolation: "sql" writes one SQLite row per client message and deletes one
 * per agent message (like the relay's pending table); "none" or absent keeps the forwarder bare.
 */
import { DurableObject } from "cloudflare:workers";

export class Forwarder extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.agent = null;
    /** prefix "<n>|" by socket, and socket by "<n>" */
    this.prefixOf = new Map();
    this.byNumber = new Map();
    this.next = 1;
    this.sql = env.BENCH_DIAG === "sql";
    if (this.sql) {
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS pending (k INTEGER PRIMARY KEY, n TEXT NOT NULL)");
      ctx.storage.sql.exec("DELETE FROM pending"); // a fresh start after each wake-up
      this.key = 0;
      this.queue = new Map();
    }
    // After a wake-up, rebuild the maps from the sockets' attachments.
    for (const ws of ctx.getWebSockets()) this.track(ws, ws.deserializeAttachment());
  }

  track(ws, n) {
    if (n === 0) {
      this.agent = ws;
      return;
    }
    this.prefixOf.set(ws, `${n}|`);
    this.byNumber.set(String(n), ws);
    if (n >= this.next) this.next = n + 1;
  }

  async fetch(request) {
    const pair = new WebSocketPair();
    const ws = pair[1];
    const n = new URL(request.url).pathname === "/agent" ? 0 : this.next++;
    this.ctx.acceptWebSocket(ws);
    ws.serializeAttachment(n);
    this.track(ws, n);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    if (ws === this.agent) {
      const bar = message.indexOf("|");
      const n = message.slice(0, bar);
      if (this.sql) this.sqlDone(n);
      this.byNumber.get(n)?.send(message.slice(bar + 1));
      return;
    }
    const prefix = this.prefixOf.get(ws);
    // Only requests are written (acks and other control frames get no answer to match them).
    if (this.sql && message.startsWith('{"t":"req"')) this.sqlStart(prefix.slice(0, -1));
    this.agent?.send(prefix + message);
  }

  webSocketClose(ws) {
    this.forget(ws);
  }

  webSocketError(ws) {
    this.forget(ws);
  }

  forget(ws) {
    if (ws === this.agent) this.agent = null;
    const prefix = this.prefixOf.get(ws);
    if (prefix !== undefined) {
      this.prefixOf.delete(ws);
      this.byNumber.delete(prefix.slice(0, -1));
    }
    try {
      ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }

  // Diagnostics: one INSERT per request and one DELETE per answer, answers matched first-in first-out
  // per session (the echo peer answers each session in order).
  sqlStart(n) {
    const k = ++this.key;
    this.ctx.storage.sql.exec("INSERT INTO pending (k, n) VALUES (?, ?)", k, n);
    let q = this.queue.get(n);
    if (!q) this.queue.set(n, (q = []));
    q.push(k);
  }

  sqlDone(n) {
    const k = this.queue.get(n)?.shift();
    if (k !== undefined) this.ctx.storage.sql.exec("DELETE FROM pending WHERE k = ?", k);
  }
}

export default {
  fetch(request, env) {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("bench bare forwarder\n");
    return env.FORWARDER.get(env.FORWARDER.idFromName("bench")).fetch(request);
  },
};
