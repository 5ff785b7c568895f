/**
 * A minimal Chrome DevTools Protocol client over a V8 inspector WebSocket: a workerd target
 * (wrangler's inspector proxy: the Worker's isolate, its Durable Objects included) or a Node process.
 */
import WebSocket from "ws";

/**
 * Connects to a target's `inspectorUrl` (workerd's http://127.0.0.1:PORT/, or the ws:// URL Node
 * prints for --inspect); call(method, params) → result.
 */
export async function inspector(inspectorUrl) {
  const url = inspectorUrl.startsWith("ws:") ? inspectorUrl : `${inspectorUrl.replace(/^http/, "ws").replace(/\/$/, "")}/ws`;
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let next = 1;
  const waiting = new Map();
  const listeners = new Map();
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.method) for (const fn of listeners.get(message.method) ?? []) fn(message.params);
    if (message.id && waiting.has(message.id)) {
      waiting.get(message.id)(message);
      waiting.delete(message.id);
    }
  });
  return {
    call(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 60_000);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          if (m.error) reject(new Error(`${method}: ${m.error.message}`));
          else resolve(m.result);
        });
      });
    },
    /** Calls `fn(params)` for every event `method` (e.g. HeapProfiler.addHeapSnapshotChunk). */
    on(method, fn) {
      listeners.set(method, [...(listeners.get(method) ?? []), fn]);
    },
    /** A heap snapshot (which runs a full collection first), parsed. */
    async heapSnapshot() {
      let text = "";
      const chunk = (p) => (text += p.chunk);
      listeners.set("HeapProfiler.addHeapSnapshotChunk", [chunk]);
      await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      listeners.delete("HeapProfiler.addHeapSnapshotChunk");
      return JSON.parse(text);
    },
    close: () => ws.close(),
  };
}
