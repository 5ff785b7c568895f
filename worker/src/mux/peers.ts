/** What the mux knows of each connection: its attachment (survives hibernation) and live counters. */
import type { Role } from "@ora/protocol";

export interface AgentAttachment {
  kind: "agent";
  conn: string;
  hello: boolean;
  openedAt: number;
  /** It said `credit` in its hello: clients' stream credit is forwarded to it. */
  credit?: boolean;
  /** It said `bin` in its hello: it may send binary data frames and gets them binary. */
  bin?: boolean;
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
  /** It said `credit` in its hello: it grants stream credit, so the agent waits for it. */
  credit?: boolean;
  /** It said `bin` in its hello: it may send binary data frames and gets them binary. */
  bin?: boolean;
}
export type Attachment = AgentAttachment | ClientAttachment;

/** In-memory view of a connection, rebuilt from its attachment after a wake-up. */
export type Peer<S> = (AgentAttachment | ClientAttachment) & { socket: S; bad: number; sent: number; acked: number };
export type ClientPeer<S> = Peer<S> & ClientAttachment;
export type AgentPeer<S> = Peer<S> & AgentAttachment;

export function attachmentOf<S>(peer: Peer<S>): Attachment {
  return peer.kind === "agent"
    ? {
        kind: "agent",
        conn: peer.conn,
        hello: peer.hello,
        openedAt: peer.openedAt,
        ...(peer.credit ? { credit: true } : {}),
        ...(peer.bin ? { bin: true } : {}),
      }
    : {
        kind: "client",
        sid: peer.sid,
        dev: peer.dev,
        role: peer.role,
        hello: peer.hello,
        openedAt: peer.openedAt,
        until: peer.until,
        ...(peer.credit ? { credit: true } : {}),
        ...(peer.bin ? { bin: true } : {}),
      };
}

/** How the agent learns of a session: who it is, and whether its client grants stream credit. */
export function sessionInfo<S>(peer: ClientPeer<S>): { s: string; dev: string; role: Role; credit?: true } {
  return { s: peer.sid, dev: peer.dev, role: peer.role, ...(peer.credit ? { credit: true as const } : {}) };
}
