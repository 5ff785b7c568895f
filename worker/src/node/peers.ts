/** What the Node object knows of each socket: its attachment (survives hibernation) and live counters. */
import type { Role } from "@ora/protocol";

export interface AgentAttachment {
  kind: "agent";
  conn: string;
  hello: boolean;
  openedAt: number;
}
export interface ClientAttachment {
  kind: "client";
  sid: string;
  dev: string;
  role: Role;
  hello: boolean;
  openedAt: number;
  /** The credential's absolute expiry (ms): the session ends then, even if it is still open. */
  until: number | null;
}
export type Attachment = AgentAttachment | ClientAttachment;

/** In-memory view of a socket, rebuilt from its attachment after a wake-up. */
export type Peer = (AgentAttachment | ClientAttachment) & { ws: WebSocket; bad: number; sent: number; acked: number };
export type ClientPeer = Peer & ClientAttachment;
export type AgentPeer = Peer & AgentAttachment;

export function attachmentOf(peer: Peer): Attachment {
  return peer.kind === "agent"
    ? { kind: "agent", conn: peer.conn, hello: peer.hello, openedAt: peer.openedAt }
    : { kind: "client", sid: peer.sid, dev: peer.dev, role: peer.role, hello: peer.hello, openedAt: peer.openedAt, until: peer.until };
}

/** Reciprocates or initiates a close; codes 1005/1006/1015 may not be sent, and a closed socket throws. */
export function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
  try {
    ws.close(sendable ? code : 1000, reason);
  } catch {
    // already closed
  }
}
