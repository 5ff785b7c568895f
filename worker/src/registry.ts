/**
 * The registry: one Durable Object for the whole relay that knows which Nodes exist (for the
 * operator's list) and limits how fast new Nodes can be registered from one address. It is touched
 * only by registration and by the admin API, never on the request path.
 */
import { DurableObject } from "cloudflare:workers";
import { mintCredential, newNodeId } from "./credentials.js";
import { relayConfig, type Env } from "./env.js";
import { migrate } from "./migrate.js";

const MIGRATIONS = [
  `CREATE TABLE nodes (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE INDEX nodes_by_created ON nodes (created_at, id);
   CREATE TABLE register_attempts (source TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE INDEX register_attempts_by_source ON register_attempts (source, at);`,
] as const;

const HOUR_MS = 3600_000;

export interface NodeSummary {
  id: string;
  createdAt: number;
}

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
  list(limit: number, cursor?: string): { nodes: NodeSummary[]; cursor: string | null } {
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

  exists(nodeId: string): boolean {
    return this.sql.exec("SELECT 1 FROM nodes WHERE id = ?", nodeId).toArray().length > 0;
  }
}

function decodeCursor(cursor: string | undefined): { createdAt: number; id: string } {
  const match = cursor ? /^(\d{1,15})\.([0-9a-f]{32})$/.exec(cursor) : null;
  return match ? { createdAt: Number(match[1]), id: match[2]! } : { createdAt: -1, id: "" };
}
