/**
 * Pairing inside the Node's object: protocol/src/pairing-frames.ts is the specification. The host (the
 * agent's `pair` command) makes an offer, the registry gives it a nameplate, the first valid claim
 * takes it, and from then on this module carries opaque `msg` frames between exactly those two
 * sockets until the host reports the outcome. Whatever happens next, the offer is burnt: deleted here,
 * its nameplate released, both sockets closed. Like magic-wormhole's mailbox server (`server.py`
 * claim_nameplate / prune): single use, `crowded` for a second claimant, expiry by the alarm.
 *
 * Offers live in SQLite and sockets are hibernatable with their state in attachments, so an offer
 * survives eviction. Payloads are never parsed and never stored; the audit gets metadata only.
 *
 * Protocol violations (a bad frame, a msg before `peer`, a second offer) get `err bad_frame` and the
 * socket is closed: both ends are programs, and a confused end must not keep a code alive.
 */
import {
  CloseCode,
  decodeFrame,
  encodeFrame,
  PAIR_MESSAGE_LIMITS,
  PairClaimFrame,
  PairCloseCode,
  PairHostFrame,
  utf8Length,
  type ErrorCode,
} from "@ora/protocol";
import { randomId } from "../encoding.js";
import { pairingConfig, relayConfig, type Env, type PairingConfig } from "../env.js";
import { registryOf, type Registry } from "../registry.js";
import { versionProblem } from "../mux/handshake.js";
import { sourceTag, type AuditLog } from "./audit.js";
import { closeQuietly, sendQuietly } from "./sockets.js";

/** Every pairing socket carries this tag, and `p:<conn>` to find it by its connection id. */
export const PAIR_TAG = "pair";
const HOUR_MS = 3600_000;
const LOCKED_DOWN_PAIRING = "this PC is in lockdown: pairing is refused until it is lifted at the PC";

interface HostAttachment {
  kind: "pair-host";
  conn: string;
  openedAt: number;
  /** Set once the offer is made; one offer per host socket. */
  nameplate: string | null;
}
interface ClaimantAttachment {
  kind: "pair-claimant";
  conn: string;
  openedAt: number;
  nameplate: string;
  /** Keyed hash of the claimant's address, for the audit trail's short source tag. */
  src: string;
  claimed: boolean;
}
type PairAttachment = HostAttachment | ClaimantAttachment;

type Offer = {
  nameplate: string;
  offer: string;
  host: string;
  claimant: string | null;
  claimant_src: string | null;
  expires_at: number;
  host_msgs: number;
  claimant_msgs: number;
  claim_attempts: number;
};

interface PairingDeps {
  ctx: DurableObjectState;
  sql: SqlStorage;
  audit: AuditLog;
  registry: () => DurableObjectStub<Registry>;
  nodeId: () => string;
  config: PairingConfig;
  /** How long a socket has to send its offer or claim (the relay's handshake deadline). */
  handshakeMs: number;
  /** Makes sure the Node's one alarm fires no later than `at`. */
  wakeBy: (at: number) => void;
}

export class Pairing {
  private readonly d: PairingDeps;
  private readonly sockets = new Map<WebSocket, PairAttachment>();
  /** Host sockets whose offer is waiting for a nameplate from the registry. */
  private readonly allocating = new Set<WebSocket>();

  constructor(
    ctx: DurableObjectState,
    env: Env,
    audit: AuditLog,
    nodeId: () => string,
    wakeBy: (at: number) => void,
    /** True while the Node is in lockdown (lockdown.ts): every offer and claim is refused. */
    private readonly lockedDown: () => boolean = () => false,
  ) {
    const handshakeMs = relayConfig(env).helloTimeoutSec * 1000;
    this.d = { ctx, sql: ctx.storage.sql, audit, registry: () => registryOf(env), nodeId, config: pairingConfig(env), handshakeMs, wakeBy };
    for (const ws of ctx.getWebSockets(PAIR_TAG)) this.sockets.set(ws, ws.deserializeAttachment() as PairAttachment);
  }

  owns(ws: WebSocket): boolean {
    return this.sockets.has(ws);
  }

  acceptHost(headers: HeadersInit): Response {
    return this.accept({ kind: "pair-host", conn: randomId(), openedAt: Date.now(), nameplate: null }, headers);
  }

  acceptClaimant(nameplate: string, src: string, headers: HeadersInit): Response {
    return this.accept({ kind: "pair-claimant", conn: randomId(), openedAt: Date.now(), nameplate, src, claimed: false }, headers);
  }

  async onMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.sockets.get(ws);
    if (!att) return;
    if (typeof message !== "string") return this.violation(ws, "binary frames are not part of the protocol", CloseCode.BAD_DATA);
    if (att.kind === "pair-host") {
      const frame = decodeFrame(message, PairHostFrame);
      if (!frame.ok) return this.violation(ws, frame.message);
      if (frame.header.t === "offer") return this.offer(ws, att, frame.header.v, frame.header.ttl);
      const offer = att.nameplate === null ? undefined : this.offerOf(att.nameplate);
      if (!offer?.claimant) return this.violation(ws, "no claimant yet");
      if (frame.header.t === "msg") return this.forward(offer, "host", frame.payload, utf8Length(message));
      this.d.audit.record(frame.header.ok ? "pair_ok" : "pair_failed", null, sourceTag(offer.claimant_src));
      // The claimant cannot tell a wrong code from a dropped connection unless it is told.
      const failed: [ErrorCode, string] = ["pairing_failed", "the pairing did not complete: the code was wrong, or the PC declined"];
      return this.burn(offer, PairCloseCode.DONE, frame.header.ok ? {} : { claimant: failed });
    }
    const frame = decodeFrame(message, PairClaimFrame);
    if (!frame.ok) return this.violation(ws, frame.message);
    if (frame.header.t === "claim") return this.claim(ws, att, frame.header.v);
    const offer = att.claimed ? this.offerOf(att.nameplate) : undefined;
    if (offer?.claimant !== att.conn) return this.violation(ws, "send claim first");
    return this.forward(offer, "claimant", frame.payload, utf8Length(message));
  }

  /**
   * A pairing socket closed (`code`: reciprocate it) or was closed by us: an offer that hangs on it
   * is burnt and the other end told.
   */
  async onClose(ws: WebSocket, code?: number): Promise<void> {
    if (code !== undefined) closeQuietly(ws, code, "closed by peer");
    const att = this.forget(ws);
    if (!att) return;
    if (att.kind === "pair-host") {
      const offer = att.nameplate === null ? undefined : this.offerOf(att.nameplate);
      if (!offer) return;
      if (offer.claimant) this.d.audit.record("pair_failed", null, `host left ${sourceTag(offer.claimant_src)}`);
      return this.burn(offer, PairCloseCode.ABORTED, { claimant: ["node_offline", "the host went away"] });
    }
    const offer = att.claimed ? this.offerOf(att.nameplate) : undefined;
    if (offer?.claimant !== att.conn) return;
    this.d.audit.record("pair_failed", null, `claimant left ${sourceTag(att.src)}`);
    return this.burn(offer, PairCloseCode.ABORTED, { host: ["pairing_failed", "the claimant went away"] });
  }

  /** The earliest offer expiry or handshake deadline, for the Node's alarm. */
  nextDeadline(): number | undefined {
    let next = this.d.sql.exec<{ at: number | null }>("SELECT MIN(expires_at) AS at FROM offers").one().at ?? undefined;
    for (const [ws, att] of this.sockets) {
      if (this.waitingForHandshake(ws, att) && (next === undefined || att.openedAt + this.d.handshakeMs < next)) next = att.openedAt + this.d.handshakeMs;
    }
    return next;
  }

  /** Called by the alarm: expired offers are burnt, silent sockets closed. */
  async onAlarm(now: number): Promise<void> {
    for (const offer of this.d.sql.exec<Offer>("SELECT * FROM offers WHERE expires_at <= ?", now).toArray()) {
      this.d.audit.record("pair_expired", null, `nameplate=${offer.nameplate}`);
      await this.burn(offer, PairCloseCode.EXPIRED, { host: ["expired", "the offer expired"], claimant: ["expired", "the offer expired"] });
    }
    for (const [ws, att] of this.sockets) {
      if (this.waitingForHandshake(ws, att) && att.openedAt + this.d.handshakeMs <= now) {
        this.forget(ws);
        closeQuietly(ws, CloseCode.HELLO_TIMEOUT, "no offer or claim before the deadline");
      }
    }
  }

  /** Burns every open offer, telling both ends why (the Node went into lockdown). */
  async refuseAll(code: ErrorCode, message: string): Promise<void> {
    for (const offer of this.d.sql.exec<Offer>("SELECT * FROM offers").toArray()) {
      await this.burn(offer, PairCloseCode.REFUSED, { host: [code, message], claimant: [code, message] });
    }
  }

  // ---- offer and claim ----

  private async offer(ws: WebSocket, att: HostAttachment, version: number, ttlSec: number): Promise<void> {
    if (att.nameplate !== null || this.allocating.has(ws)) return this.violation(ws, "this socket already made an offer");
    if (!this.versionOk(ws, version)) return;
    if (this.lockedDown()) return this.refuse(ws, "locked_down", LOCKED_DOWN_PAIRING);
    const open = this.d.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM offers").one().n + this.allocating.size;
    if (open >= this.d.config.maxOffers) return this.refuse(ws, "rate_limited", `this Node already has ${open} open offers`);
    const id = randomId();
    const expiresAt = Date.now() + Math.min(ttlSec * 1000, this.d.config.maxTtlMs);
    this.allocating.add(ws);
    let nameplate: string | null;
    try {
      nameplate = await this.d.registry().allocateNameplate(this.d.nodeId(), id, expiresAt);
    } catch {
      console.error("pairing: the registry did not answer");
      nameplate = null;
    } finally {
      this.allocating.delete(ws);
    }
    if (nameplate === null) return this.refuse(ws, "rate_limited", "no nameplate is free; try again later");
    // Other events run while the registry answers: the host may have gone meanwhile.
    if (!this.sockets.has(ws)) return this.release(nameplate, id);
    this.d.sql.exec("INSERT INTO offers (nameplate, offer, host, expires_at) VALUES (?, ?, ?, ?)", nameplate, id, att.conn, expiresAt);
    att.nameplate = nameplate;
    ws.serializeAttachment(att);
    this.d.audit.record("pair_offer", null, `nameplate=${nameplate} ttl=${ttlSec}`);
    sendQuietly(ws, encodeFrame({ t: "offer", nameplate, expiresAt }));
    this.d.wakeBy(expiresAt);
  }

  private claim(ws: WebSocket, att: ClaimantAttachment, version: number): void | Promise<void> {
    if (att.claimed) return this.violation(ws, "this socket already claimed");
    if (!this.versionOk(ws, version)) return;
    if (this.lockedDown()) return this.refuse(ws, "locked_down", LOCKED_DOWN_PAIRING);
    const now = Date.now();
    this.d.sql.exec("DELETE FROM claims WHERE at <= ?", now - HOUR_MS);
    if (this.d.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM claims").one().n >= this.d.config.claimsPerHour) {
      return this.refuse(ws, "rate_limited", "too many claims for this Node; try later");
    }
    this.d.sql.exec("INSERT INTO claims (at) VALUES (?)", now);
    const offer = this.offerOf(att.nameplate);
    const host = offer && this.socketOf(offer.host);
    if (!offer || !host) return this.refuse(ws, "not_found", "no such pairing code");
    if (offer.expires_at <= now) return this.refuse(ws, "expired", "the pairing code has expired", PairCloseCode.EXPIRED);
    // Claims, not connections, count against the nameplate: the first claim always reaches the offer.
    this.d.sql.exec("UPDATE offers SET claim_attempts = claim_attempts + 1 WHERE nameplate = ?", offer.nameplate);
    if (offer.claim_attempts >= this.d.config.attemptsPerNameplate) return this.refuse(ws, "rate_limited", "too many claims of this pairing code");
    if (offer.claimant !== null) return this.refuse(ws, "crowded", "the pairing code was already claimed");
    this.d.sql.exec("UPDATE offers SET claimant = ?, claimant_src = ? WHERE nameplate = ?", att.conn, att.src, offer.nameplate);
    att.claimed = true;
    ws.serializeAttachment(att);
    sendQuietly(host, encodeFrame({ t: "peer" }));
    sendQuietly(ws, encodeFrame({ t: "peer" }));
  }

  /** Carries one msg to the other end, payload unchanged; an end over its limits burns the offer. */
  private async forward(offer: Offer, from: "host" | "claimant", payload: string | undefined, bytes: number): Promise<void> {
    const sent = from === "host" ? offer.host_msgs : offer.claimant_msgs;
    const over: [ErrorCode, string] | null =
      bytes > PAIR_MESSAGE_LIMITS.bytes
        ? ["too_large", `msg frames are limited to ${PAIR_MESSAGE_LIMITS.bytes} bytes`]
        : sent >= PAIR_MESSAGE_LIMITS.count
          ? ["rate_limited", `each end may send at most ${PAIR_MESSAGE_LIMITS.count} msg frames`]
          : null;
    const to = from === "host" ? "claimant" : "host";
    if (over) {
      this.d.audit.record("pair_failed", null, `${over[0]} from ${from} ${sourceTag(offer.claimant_src)}`);
      return this.burn(offer, PairCloseCode.ABORTED, { [from]: over, [to]: ["pairing_failed", "the other end broke the message limits"] });
    }
    this.d.sql.exec(`UPDATE offers SET ${from}_msgs = ${from}_msgs + 1 WHERE nameplate = ?`, offer.nameplate);
    const target = this.socketOf(to === "host" ? offer.host : offer.claimant!);
    if (target) sendQuietly(target, encodeFrame({ t: "msg" }, payload));
  }

  // ---- endings ----

  /** Deletes the offer, frees its nameplate and closes both ends, each told `err` first if given. */
  private async burn(offer: Offer, code: number, tell: Partial<Record<"host" | "claimant", [ErrorCode, string]>> = {}): Promise<void> {
    this.d.sql.exec("DELETE FROM offers WHERE nameplate = ?", offer.nameplate);
    for (const [end, conn] of [
      ["host", offer.host],
      ["claimant", offer.claimant],
    ] as const) {
      const ws = conn === null ? undefined : this.socketOf(conn);
      if (!ws) continue;
      this.forget(ws);
      const err = tell[end];
      if (err) sendQuietly(ws, encodeFrame({ t: "err", code: err[0], message: err[1] }));
      closeQuietly(ws, code, err?.[0] ?? "done");
    }
    await this.release(offer.nameplate, offer.offer);
  }

  private async release(nameplate: string, offer: string): Promise<void> {
    try {
      await this.d.registry().releaseNameplate(nameplate, offer);
    } catch {
      // The registry's entry lapses at the offer's expiry anyway.
      console.error("pairing: could not release a nameplate");
    }
  }

  private refuse(ws: WebSocket, code: ErrorCode, message: string, close: number = PairCloseCode.REFUSED): void {
    this.forget(ws);
    sendQuietly(ws, encodeFrame({ t: "err", code, message }));
    closeQuietly(ws, close, code);
  }

  private violation(ws: WebSocket, message: string, close: number = CloseCode.POLICY): Promise<void> {
    sendQuietly(ws, encodeFrame({ t: "err", code: "bad_frame", message }));
    closeQuietly(ws, close, "bad_frame");
    return this.onClose(ws);
  }

  private versionOk(ws: WebSocket, version: number): boolean {
    const problem = versionProblem(version);
    if (problem === null) return true;
    this.refuse(ws, "upgrade_required", problem, CloseCode.UPGRADE_REQUIRED);
    return false;
  }

  // ---- sockets ----

  private accept(att: PairAttachment, headers: HeadersInit): Response {
    const pair = new WebSocketPair();
    this.d.ctx.acceptWebSocket(pair[1], [PAIR_TAG, `p:${att.conn}`]);
    pair[1].serializeAttachment(att);
    this.sockets.set(pair[1], att);
    this.d.wakeBy(att.openedAt + this.d.handshakeMs);
    return new Response(null, { status: 101, webSocket: pair[0], headers });
  }

  private forget(ws: WebSocket): PairAttachment | undefined {
    const att = this.sockets.get(ws);
    this.sockets.delete(ws);
    return att;
  }

  private socketOf(conn: string): WebSocket | undefined {
    return this.d.ctx.getWebSockets(`p:${conn}`).find((ws) => this.sockets.has(ws));
  }

  private offerOf(nameplate: string): Offer | undefined {
    return this.d.sql.exec<Offer>("SELECT * FROM offers WHERE nameplate = ?", nameplate).toArray()[0];
  }

  private waitingForHandshake(ws: WebSocket, att: PairAttachment): boolean {
    return att.kind === "pair-host" ? att.nameplate === null && !this.allocating.has(ws) : !att.claimed;
  }
}
