/**
 * A relay-in-the-middle: a WebSocket proxy between a client and the relay that records every frame
 * and lets a test rewrite, drop, replay or reorder them in either direction — what a compromised
 * relay (or anyone on the path) could do to the traffic.
 */
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";

export type Direction = "up" | "down"; // up: client → relay, down: relay → client
/** Returns the frames to forward in place of `text` (none to drop it). */
export type Tamper = (direction: Direction, text: string) => string[];

export interface Mitm {
  url: string;
  frames: { direction: Direction; text: string }[];
  tamper: Tamper;
  /** Sends a frame of the test's own making, as if it came from the client or the relay. */
  inject(direction: Direction, text: string): void;
  close(): Promise<void>;
}

export async function startMitm(relay: string): Promise<Mitm> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: (protocols) => (protocols.has("ora.v1") ? "ora.v1" : false) });
  await new Promise((resolve) => server.once("listening", resolve));
  const links: { client: WebSocket; upstream: WebSocket }[] = [];
  const mitm: Mitm = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames: [],
    tamper: (_direction, text) => [text],
    inject(direction, text) {
      const link = links.at(-1)!;
      (direction === "up" ? link.upstream : link.client).send(text);
    },
    close: () =>
      new Promise((resolve) => {
        for (const { client, upstream } of links) {
          client.terminate();
          upstream.terminate();
        }
        server.close(() => resolve());
      }),
  };
  server.on("connection", (client, request) => {
    const target = new URL(request.url ?? "/", relay);
    target.protocol = "ws:";
    const protocols = String(request.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    const upstream = new WebSocket(target, protocols, { perMessageDeflate: false });
    links.push({ client, upstream });
    const queued: string[] = [];
    const forward = (direction: Direction, text: string, to: WebSocket) => {
      mitm.frames.push({ direction, text });
      for (const out of mitm.tamper(direction, text)) to.send(out);
    };
    client.on("message", (data) => {
      const text = data.toString();
      if (upstream.readyState === WebSocket.OPEN) forward("up", text, upstream);
      else queued.push(text);
    });
    upstream.on("open", () => {
      for (const text of queued.splice(0)) forward("up", text, upstream);
    });
    upstream.on("message", (data) => forward("down", data.toString(), client));
    upstream.on("close", (code) => client.readyState === WebSocket.OPEN && client.close(code === 1005 || code === 1006 ? 1000 : code));
    client.on("close", () => upstream.close());
    upstream.on("error", () => client.terminate());
  });
  return mitm;
}
