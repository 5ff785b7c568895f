/**
 * Requests through the relay, from a client's `req` to its one ending: admission (a connected agent,
 * an id not pending in the session, the Node's and the session's pending limits), forwarding under a
 * relay id, answers and streamed chunks back in each receiver's form (forward.ts), stream credit
 * translated to the agent's terms, and every way a request fails (the client cancels, a deadline, the
 * reader stopped, the session or the agent went away). The mux (mux.ts) routes frames here; the
 * pending table (pending.ts) keeps what is in flight.
 */
import { encodeFrame, type CancelReason, type ErrorCode } from "@ora/protocol";
import type { Connections } from "./connections.js";
import { forward, type Payload } from "./forward.js";
import type { Metrics } from "./metrics.js";
import type { PendingEntry, PendingTable } from "./pending.js";
import type { ClientPeer } from "./peers.js";
import type { MuxPort } from "./ports.js";

export interface RequestLimits {
  maxPending: number;
  maxPendingPerSession: number;
  timeoutSec: number;
  streamMaxSec: number;
}

export class Requests<S> {
  constructor(
    private readonly config: RequestLimits,
    private readonly port: MuxPort<S>,
    private readonly pending: PendingTable,
    private readonly conns: Connections<S>,
    private readonly metrics: Metrics,
  ) {}

  /** A client's request, forwarded to the agent under a fresh relay id once admitted. */
  request(peer: ClientPeer<S>, id: string, payload: Payload, bytes: number): void {
    const agent = this.conns.agent;
    if (!agent?.hello) return this.conns.reject(peer, "node_offline", "the agent is not connected", id);
    if (this.pending.has(peer.sid, id)) {
      // Not under `id`: that request is still pending and will end once, by its own answer.
      this.metrics.reject("id_in_use");
      return this.conns.send(peer, encodeFrame({ t: "err", dup: id, code: "id_in_use", message: "a request with this id is already pending" }));
    }
    if (this.pending.size >= this.config.maxPending) return this.conns.reject(peer, "pending_limit", "the Node has too many pending requests", id);
    if (this.pending.sessionCount(peer.sid) >= this.config.maxPendingPerSession) {
      return this.conns.reject(peer, "pending_limit", "this session has too many pending requests", id);
    }
    const now = this.port.now();
    const entry = this.pending.add(peer.sid, id, now, now + this.config.timeoutSec * 1000);
    this.metrics.add("requests");
    this.metrics.pending(this.pending.size);
    this.port.wakeBy(entry.deadline);
    const out = forward({ t: "req", rid: entry.rid, s: peer.sid, dev: peer.dev, role: peer.role }, payload, bytes)(agent.bin === true);
    this.conns.send(agent, out.data, out.bytes);
  }

  /** The client cancels one of its own requests. */
  cancel(peer: ClientPeer<S>, id: string): void {
    const entry = this.pending.find(peer.sid, id);
    if (!entry) return;
    this.metrics.add("cancels");
    this.fail(entry, "cancelled", "cancelled by the client", "cancelled");
  }

  /**
   * A client's stream credit, to the agent under the relay's id; only an agent that honours it hears
   * it. Each end counts chunk payloads in the form they travel: a client that did not say bin counts
   * the base64url text the relay made of a binary agent's bytes, 4 characters for every 3 bytes, so
   * its credit is given to the agent in bytes (rounded down: never more than the client meant).
   */
  credit(peer: ClientPeer<S>, id: string, bytes: number): void {
    const entry = this.pending.find(peer.sid, id);
    const agent = this.conns.agent;
    if (!entry || !agent?.hello || !agent.credit) return;
    const credit = agent.bin && !peer.bin ? Math.floor((bytes * 3) / 4) : bytes;
    this.conns.send(agent, encodeFrame({ t: "credit", rid: entry.rid, bytes: credit }));
  }

  /** The agent's answer, chunk or stream end, to the session that asked, within its flow window. */
  answer(t: "res" | "chunk" | "end", rid: number, payload: Payload, bytes: number): void {
    const entry = this.pending.get(rid);
    if (!entry) return this.metrics.drop("late_answer");
    const session = this.conns.sessions.get(entry.sid);
    if (!session) {
      this.pending.remove(entry);
      return this.metrics.drop("no_session");
    }
    if (!this.conns.sendData(session, forward({ t, id: entry.id }, payload, bytes)(session.bin === true)))
      return this.fail(entry, "slow_consumer", "the client is not keeping up with the stream", "slow_consumer");
    const now = this.port.now();
    if (t === "chunk") {
      this.metrics.add("chunks");
      const deadline = Math.min(now + this.config.timeoutSec * 1000, entry.startedAt + this.config.streamMaxSec * 1000);
      // Earlier than before only when the stream cap is shorter than the idle timeout.
      if (deadline < entry.deadline) this.port.wakeBy(deadline);
      this.pending.touch(entry, deadline);
      return;
    }
    this.pending.remove(entry);
    this.metrics.add("answers");
    this.metrics.latency(now - entry.startedAt);
  }

  /** An answer too large to forward ends its request. */
  tooLarge(rid: number): void {
    const entry = this.pending.get(rid);
    if (entry) this.fail(entry, "too_large", "the answer exceeds the relay's message size limit", "cancelled");
  }

  /** An unsolicited message from the agent to one session or all of them. */
  push(to: string, payload: Payload, bytes: number): void {
    const targets = to === "*" ? [...this.conns.sessions.values()] : [this.conns.sessions.get(to)].filter((s) => s !== undefined);
    if (targets.length === 0) return this.metrics.drop("no_session");
    const out = forward({ t: "push" }, payload, bytes);
    for (const session of targets) if (this.conns.sendData(session, out(session.bin === true))) this.metrics.add("pushes");
  }

  /** Fails every request past its deadline with `timeout`. */
  timeOut(now: number): void {
    for (const entry of this.pending.entries()) {
      if (entry.deadline > now) continue;
      this.metrics.add("timeouts");
      this.fail(entry, "timeout", "the agent did not answer in time", "timeout");
    }
  }

  /** The session went away: its requests end, and the agent is told to stop them. */
  endSession(sid: string, reason: CancelReason): void {
    for (const entry of this.pending.ofSession(sid)) {
      this.pending.remove(entry);
      if (this.conns.agent) this.conns.send(this.conns.agent, encodeFrame({ t: "cancel", rid: entry.rid, reason }));
    }
  }

  /** Every pending request fails (the agent went away). */
  failAll(code: ErrorCode, message: string): void {
    for (const entry of this.pending.entries()) this.fail(entry, code, message);
  }

  private fail(entry: PendingEntry, code: ErrorCode, message: string, cancel?: CancelReason): void {
    this.pending.remove(entry);
    this.metrics.reject(code);
    const session = this.conns.sessions.get(entry.sid);
    if (session) this.conns.send(session, encodeFrame({ t: "err", id: entry.id, code, message }));
    if (cancel && this.conns.agent) this.conns.send(this.conns.agent, encodeFrame({ t: "cancel", rid: entry.rid, reason: cancel }));
  }
}
