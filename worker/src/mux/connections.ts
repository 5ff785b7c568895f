/**
 * Who is connected to one Node and how frames reach them: every connection by its socket, the client
 * sessions that said hello by session id, and the agent connection that holds the Node. Every frame
 * out is metered here, and data frames to a client respect its flow window (docs/PROTOCOL.md, flow
 * control), so that a slow client cannot make the relay buffer for it.
 */
import { encodeFrame, RelayId, RequestId, utf8Length, type ErrorCode } from "@ora/protocol";
import type { Outbound } from "./forward.js";
import type { Metrics } from "./metrics.js";
import type { AgentPeer, Attachment, ClientPeer, Peer } from "./peers.js";
import type { MuxPort } from "./ports.js";

export class Connections<S> {
  readonly bySocket = new Map<S, Peer<S>>();
  readonly sessions = new Map<string, ClientPeer<S>>();
  agent: AgentPeer<S> | null = null;

  constructor(
    private readonly port: MuxPort<S>,
    private readonly metrics: Metrics,
    private readonly windowBytes: number,
  ) {}

  track(socket: S, attachment: Attachment): Peer<S> {
    const peer: Peer<S> = { ...attachment, socket, bad: 0, sent: 0, acked: 0 };
    this.bySocket.set(socket, peer);
    if (peer.kind === "client" && peer.hello) this.sessions.set(peer.sid, peer as ClientPeer<S>);
    return peer;
  }

  forget(socket: S): Peer<S> | undefined {
    const peer = this.bySocket.get(socket);
    this.bySocket.delete(socket);
    if (peer?.kind === "client") this.sessions.delete(peer.sid);
    return peer;
  }

  send(peer: Peer<S>, data: string | Uint8Array, bytes = typeof data === "string" ? utf8Length(data) : data.byteLength): void {
    peer.sent += bytes;
    this.metrics.add("bytesOut", bytes);
    if (!this.port.send(peer.socket, data)) this.metrics.drop("send_failed");
  }

  /** A data frame to a client, within its flow window; false when the frame was dropped. */
  sendData(session: ClientPeer<S>, frame: Outbound): boolean {
    if (session.sent - session.acked + frame.bytes > this.windowBytes) {
      this.metrics.drop("slow_consumer");
      return false;
    }
    this.send(session, frame.data, frame.bytes);
    return true;
  }

  /** A refusal, counted under its code, pointing at the request it concerns when `id` is a valid one. */
  reject(peer: Peer<S>, code: ErrorCode, message: string, id?: unknown): void {
    this.metrics.reject(code);
    const ref = peer.kind === "client" ? (RequestId.safeParse(id).success ? { id } : {}) : RelayId.safeParse(id).success ? { rid: id } : {};
    this.send(peer, encodeFrame({ t: "err", ...ref, code, message }));
  }

  /** A control frame to every session. */
  broadcast(text: string): void {
    for (const session of this.sessions.values()) this.send(session, text);
  }
}
