/**
 * A relay-in-the-middle: a WebSocket proxy between a client and the relay that records every frame
 * and lets a test rewrite, drop, replay or reorder them in either direction — what a compromised
 * relay (or anyone on the path) could do to the traffic. A binary data frame is shown to the test in
 * its text form (header, newline, base64url of the payload) and, rewritten or not, goes on binary.
 */
import type { AddressInfo } from "node:net";
import { ClientFrame, decodeBinaryFrame, encodeBinaryFrame, encodeFrame, fromBase64Url, RelayToClientFrame, toBase64Url } from "@ora/protocol";
import WebSocket, { WebSocketServer } from "ws";

export type Direction = "up" | "down"; // up: client → relay, down: relay → client
/** Returns the frames to forward in place of `text` (none to drop it). */
export type Tamper = (direction: Direction, text: string) => string[];

export interface Mitm {
  url: string;
  /** binary: it travelled as a binary frame (text is then its text form). */
  frames: { direction: Direction; text: string; binary: boolean }[];
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
    const queued: [WebSocket.RawData, boolean][] = [];
    const forward = (direction: Direction, data: WebSocket.RawData, binary: boolean, to: WebSocket) => {
      const text = binary ? textForm(direction, data as Buffer) : data.toString();
      mitm.frames.push({ direction, text, binary });
      for (const out of mitm.tamper(direction, text)) to.send(binary ? binaryForm(out) : out);
    };
    client.on("message", (data, binary) => {
      if (upstream.readyState === WebSocket.OPEN) forward("up", data, binary, upstream);
      else queued.push([data, binary]);
    });
    upstream.on("open", () => {
      for (const [data, binary] of queued.splice(0)) forward("up", data, binary, upstream);
    });
    upstream.on("message", (data, binary) => forward("down", data, binary, client));
    upstream.on("close", (code) => client.readyState === WebSocket.OPEN && client.close(code === 1005 || code === 1006 ? 1000 : code));
    client.on("close", () => upstream.close());
    upstream.on("error", () => client.terminate());
  });
  return mitm;
}

/** A binary data frame as the text protocol would carry it. */
function textForm(direction: Direction, data: Buffer): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const frame = direction === "up" ? decodeBinaryFrame(bytes, ClientFrame) : decodeBinaryFrame(bytes, RelayToClientFrame);
  if (!frame.ok) throw new Error(`the mitm got a binary frame it cannot read: ${frame.message}`);
  return encodeFrame(frame.header, toBase64Url(frame.payload));
}

/** The text form back as a binary frame; text that no longer has a base64url payload stays text. */
function binaryForm(text: string): Uint8Array | string {
  const nl = text.indexOf("\n");
  const bytes = nl === -1 ? null : fromBase64Url(text.slice(nl + 1));
  return bytes ? encodeBinaryFrame(JSON.parse(text.slice(0, nl)), bytes) : text;
}
