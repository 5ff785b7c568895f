/**
 * The registry: one Durable Object for the whole relay that knows which Nodes exist (for the
 * operator's list), limits how fast new Nodes can be registered from one address, and hands out
 * pairing nameplates (which must be unique across the relay, since a claimant knows nothing but the
 * nameplate). It is touched by registration, pairing and the admin API, never on the request path.
 */
import type { NodeList } from "@ora/protocol";
import { DurableObject } from "cloudflare:workers";
import { mintCredential, newNodeId } from "./credentials.js";
import { pairingConfig, relayConfig, type Env } from "./env.js";
import { migrate } from "./migrate.js";

const MIGRATIONS = [
  `CREATE TABLE nodes (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE INDEX nodes_by_created ON nodes (created_at, id);
   CREATE TABLE register_attempts (source TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX register_attempts_by_source ON register_attempts (source, at);`,
  // A nameplate is taken while its offer lives; rows past expires_at count as free.
  `CREATE TABLE nameplates (
     nameplate INTEGER PRIMARY KEY,
     node TEXT NOT NULL,
     offer TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE claim_attempts (source TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX claim_attempts_by_source ON claim_attempts (source, at);`,
] as const;

const HOUR_MS = 3600_000;
const MINUTE_MS = 60_000;
/** Nameplates are 1..MAX_NAMEPLATE: at most six digits (protocol/src/pairing-frames.ts, Nameplate). */
const MAX_NAMEPLATE = 999_999;

export type ClaimRoute = { ok: true; nodeId: string } | { ok: false; code: "not_found" | "rate_limited" };

export type RegisterResult = { ok: true; nodeId: string; credential: string } | { ok: false; code: "rate_limited"; retryAfterSec: number };

export class Registry extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, MIGRATIONS);
  }

  /** `source` is a keyed hash of the caller's address: the registry never stores addresses. */
  async register(source: string): Promise<RegisterResult> {
    const now = Date.now();
    this.sql.exec("DELETE FROM register_attempts WHERE at <= ?", now - HOUR_MS);
    const recent = this.sql
      .exec<{ n: number; first: number | null }>("SELECT COUNT(*) AS n, MIN(at) AS first FROM register_attempts WHERE source = ?", source)
      .one();
    if (recent.n >= relayConfig(this.env).registerLimitPerHour) {
      return { ok: false, code: "rate_limited", retryAfterSec: Math.max(1, Math.ceil(((recent.first ?? now) + HOUR_MS - now) / 1000)) };
    }
    this.sql.exec("INSERT INTO register_attempts (source, at) VALUES (?, ?)", source, now);
    const nodeId = newNodeId();
    const { credential, hash } = await mintCredential("node", nodeId, this.env.ORA_TOKEN_PEPPER!);
    const stub = this.env.NODE.get(this.env.NODE.idFromName(nodeId));
    if (!(await stub.initNode(nodeId, hash))) throw new Error("node id collision");
    this.sql.exec("INSERT INTO nodes (id, created_at) VALUES (?, ?)", nodeId, now);
    return { ok: true, nodeId, credential };
  }

  /** Nodes in registration order; pass the returned cursor to continue. */
  list(limit: number, cursor?: string): NodeList {
    const after = decodeCursor(cursor);
    const rows = this.sql
      .exec<{ id: string; created_at: number }>(
        "SELECT id, created_at FROM nodes WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?",
        after.createdAt,
        after.id,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit).map((r) => ({ id: r.id, createdAt: r.created_at }));
    const last = page.at(-1);
    return { nodes: page, cursor: rows.length > limit && last ? `${last.createdAt}.${last.id}` : null };
  }

  /**
   * The lowest nameplate not held by a live offer, now held by `offer` of `nodeId` until `expiresAt`;
   * null when all are taken. Small numbers keep the code short to type.
   */
  allocateNameplate(nodeId: string, offer: string, expiresAt: number): string | null {
    this.sql.exec("DELETE FROM nameplates WHERE expires_at <= ?", Date.now());
    const free = this.sql
      .exec<{ n: number }>(
        `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM nameplates WHERE nameplate = 1) THEN 1
                ELSE (SELECT MIN(a.nameplate) + 1 FROM nameplates a
                      WHERE NOT EXISTS (SELECT 1 FROM nameplates b WHERE b.nameplate = a.nameplate + 1)) END AS n`,
      )
      .one().n;
    if (free > MAX_NAMEPLATE) return null;
    this.sql.exec("INSERT INTO nameplates (nameplate, node, offer, expires_at) VALUES (?, ?, ?, ?)", free, nodeId, offer, expiresAt);
    return String(free);
  }

  /** Frees a nameplate, if `offer` still holds it (it may have expired and gone to another offer). */
  releaseNameplate(nameplate: string, offer: string): void {
    this.sql.exec("DELETE FROM nameplates WHERE nameplate = ? AND offer = ?", Number(nameplate), offer);
  }

  /**
   * Where a claim of `nameplate` goes. Every call counts against the caller's address (a keyed hash,
   * `source`) before the lookup, so guessing nameplates costs the guesser. Nothing counts against the
   * nameplate here: a connection is not a claim, and the offer's own limit (pairing.ts) counts claims,
   * so connections that never claim cannot lock the real device out.
   */
  routeClaim(nameplate: string, source: string): ClaimRoute {
    const now = Date.now();
    const limits = pairingConfig(this.env);
    this.sql.exec("DELETE FROM claim_attempts WHERE at <= ?", now - MINUTE_MS);
    const recent = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM claim_attempts WHERE source = ?", source).one().n;
    if (recent >= limits.claimsPerMinute) return { ok: false, code: "rate_limited" };
    this.sql.exec("INSERT INTO claim_attempts (source, at) VALUES (?, ?)", source, now);
    const row = this.sql.exec<{ node: string }>("SELECT node FROM nameplates WHERE nameplate = ? AND expires_at > ?", Number(nameplate), now).toArray()[0];
    if (!row) return { ok: false, code: "not_found" };
    return { ok: true, nodeId: row.node };
  }

  exists(nodeId: string): boolean {
    return this.sql.exec("SELECT 1 FROM nodes WHERE id = ?", nodeId).toArray().length > 0;
  }
}

/** The relay's one registry object. */
export function registryOf(env: Env): DurableObjectStub<Registry> {
  return env.REGISTRY.get(env.REGISTRY.idFromName("registry"));
}

function decodeCursor(cursor: string | undefined): { createdAt: number; id: string } {
  const match = cursor ? /^(\d{1,15})\.([0-9a-f]{32})$/.exec(cursor) : null;
  return match ? { createdAt: Number(match[1]), id: match[2]! } : { createdAt: -1, id: "" };
}
