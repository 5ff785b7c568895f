/**
 * The relay's audit trail for one Node (docs/OPERATIONS.md): metadata only. A row says when, what kind of
 * event, which device if any, and a short detail such as a close code, a role or the first characters
 * of a keyed hash of the client's address. Never a credential, never a payload, never an address.
 *
 * Retention is bounded by rows, not time: a Node that connects often must not grow its storage
 * without limit, and the newest rows are the ones an owner or operator asks about.
 */
export const AUDIT_KINDS = [
  "pair_offer",
  "pair_ok",
  "pair_failed",
  "pair_expired",
  "credential_issued",
  "credential_rotated",
  "credential_revoked",
  "agent_connect",
  "agent_disconnect",
  "client_connect",
  "client_disconnect",
  "push_subscribed",
  "push_unsubscribed",
  "push_gone",
  "lockdown_on",
  "lockdown_off",
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_KEEP_ROWS = 2000;
/** Details are short by construction; the cap keeps a mistake from ever storing much. */
const DETAIL_MAX_CHARS = 80;
/** Enough of a keyed address hash to tell sources apart in a trail, too little to be the hash. */
const SOURCE_PREFIX_CHARS = 8;

export type AuditEntry = {
  seq: number;
  at: number;
  kind: AuditKind;
  device: string | null;
  detail: string | null;
};

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  before: number | null;
}

export class AuditLog {
  constructor(
    private readonly sql: SqlStorage,
    private readonly keep = AUDIT_KEEP_ROWS,
  ) {}

  record(kind: AuditKind, device: string | null = null, detail: string | null = null, at = Date.now()): void {
    this.sql.exec("INSERT INTO audit (at, kind, device, detail) VALUES (?, ?, ?, ?)", at, kind, device, detail?.slice(0, DETAIL_MAX_CHARS) ?? null);
    // seq only grows, so the newest `keep` rows are those above MAX(seq) - keep: a range delete on the key.
    this.sql.exec("DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?", this.keep);
  }

  /** Newest first, `limit` rows older than `before` (a seq from a previous page). */
  page(limit: number, before?: number): AuditPage {
    const rows = this.sql
      .exec<AuditEntry>("SELECT seq, at, kind, device, detail FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?", before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      .toArray();
    const entries = rows.slice(0, limit).map((r) => ({ ...r }));
    return { entries, before: rows.length > limit ? entries.at(-1)!.seq : null };
  }
}

/** The short form of a keyed address hash that audit details carry. */
export function sourceTag(source: string | null): string {
  return source ? `src=${source.slice(0, SOURCE_PREFIX_CHARS)}` : "src=?";
}
