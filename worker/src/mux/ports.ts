/**
 * Everything the mux core (mux.ts) needs from the world, as three small interfaces. The core holds no
 * socket, timer or database of its own: the Durable Object implements these over WebSockets, its
 * alarm and its SQLite (node/node-object.ts, node/mux-store.ts), and the tests in plain Node over
 * arrays and a fake clock. `S` is whatever identifies a connection to the port.
 */
import type { Device } from "@ora/protocol";
import type { Counters } from "./metrics.js";
import type { Attachment } from "./peers.js";

/** The core's only way out: frames, closes, saved connection state, time and its one wake-up. */
export interface MuxPort<S> {
  /** Sends one frame, text or binary; false when the connection cannot take it any more (closed meanwhile). */
  send(socket: S, data: string | Uint8Array): boolean;
  /** Closes a connection, or reciprocates its close; never throws. */
  close(socket: S, code: number, reason: string): void;
  /** Keeps what must survive hibernation about a connection (its attachment). */
  save(socket: S, attachment: Attachment): void;
  /** Makes sure the core's `onAlarm` runs no later than `at` (ms); a later request never delays it. */
  wakeBy(at: number): void;
  now(): number;
}

/** A pending request as plain data: which session's request it is and when it times out. */
export interface PendingRow {
  /** The relay's id for the request, unique within the Node: what the agent answers to. */
  rid: number;
  sid: string;
  /** The client's own id for the request, unique among its session's pending requests. */
  id: string;
  startedAt: number;
  deadline: number;
  /** Whether an answer has started streaming: the deadline then measures idle time, up to a cap. */
  streaming: boolean;
}

/** The core's own durable state: the pending table's mirror, the counters, the current agent. */
export interface MuxStore {
  /** The pending table as of the last flush. */
  loadPending(): PendingRow[];
  /** The last relay id of the last block handed out, or 0 when none ever was. */
  ridBlockEnd(): number;
  reserveRids(blockEnd: number): void;
  /** Brings the mirror up to date: `changed` entries are written, `removed` relay ids deleted. */
  writePending(changed: Iterable<PendingRow>, removed: Iterable<number>): void;
  loadCounters(): Partial<Counters> | null;
  saveCounters(counters: Counters): void;
  /** The connection id of the agent that holds the Node, so that a wake-up can tell it from a replaced one. */
  currentAgent(): string | null;
  setCurrentAgent(conn: string | null): void;
}

export type Rotation = { ok: true; credential: string } | { ok: false; code: "rate_limited" | "unauthorized" };

/** What the core reads and records about the Node beyond its connections: its id, devices and audit trail. */
export interface MuxRecords {
  nodeId(): string;
  agentConnected(source: string | null): void;
  agentDisconnected(code: number): void;
  clientConnected(device: Device, source: string | null, at: number): void;
  clientDisconnected(deviceId: string, code: number, at: number): void;
  /** Whether the device's welcome should ask it to rotate its credential. */
  rotationDue(deviceId: string, at: number): boolean;
  /** A fresh credential for the device (node/devices.ts has the lifecycle). */
  rotate(deviceId: string, at: number): Promise<Rotation>;
}
