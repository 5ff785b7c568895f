/**
 * What the Node's object keeps for Web Push, in its SQLite storage (schema.ts): per device only the
 * endpoint URL (never the subscription's keys, which stay on the PC, and never a message), the times
 * of recent sends for the per-Node rate limit, and counters by outcome for the operator.
 */

/** Outcomes counted in the Node's metrics (docs/OPERATIONS.md, Metrics → push). */
export type PushCounter = "sent" | "gone" | "refused_origin" | "rate_limited" | "throttled" | "too_large" | "failed" | "retries";

const WINDOW_MS = 60_000;

export class PushStore {
  constructor(private readonly sql: SqlStorage) {}

  endpoint(device: string): string | null {
    return this.sql.exec<{ endpoint: string }>("SELECT endpoint FROM push_endpoints WHERE device = ?", device).toArray()[0]?.endpoint ?? null;
  }

  set(device: string, endpoint: string, now: number): void {
    this.sql.exec(
      "INSERT INTO push_endpoints (device, endpoint, updated_at) VALUES (?, ?, ?) ON CONFLICT (device) DO UPDATE SET endpoint = excluded.endpoint, updated_at = excluded.updated_at",
      device,
      endpoint,
      now,
    );
  }

  /** Forgets a device's endpoint; only `endpoint` when given (a newer one set meanwhile stays). True when one was removed. */
  remove(device: string, endpoint?: string): boolean {
    const cursor =
      endpoint === undefined
        ? this.sql.exec("DELETE FROM push_endpoints WHERE device = ?", device)
        : this.sql.exec("DELETE FROM push_endpoints WHERE device = ? AND endpoint = ?", device, endpoint);
    return cursor.rowsWritten > 0;
  }

  /** Takes one send from the Node's budget for the last minute, or says when the next one is free. */
  take(now: number, perMinute: number): { ok: true } | { ok: false; retryAfterSec: number } {
    this.sql.exec("DELETE FROM push_sends WHERE at <= ?", now - WINDOW_MS);
    const { n, oldest } = this.sql.exec<{ n: number; oldest: number | null }>("SELECT count(*) AS n, min(at) AS oldest FROM push_sends").one();
    if (n >= perMinute) return { ok: false, retryAfterSec: Math.max(1, Math.ceil(((oldest ?? now) + WINDOW_MS - now) / 1000)) };
    this.sql.exec("INSERT INTO push_sends (at) VALUES (?)", now);
    return { ok: true };
  }

  count(name: PushCounter, n = 1): void {
    if (n <= 0) return;
    this.sql.exec("INSERT INTO push_counts (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n", name, n);
  }

  counters(): Record<string, number> {
    return Object.fromEntries(
      this.sql
        .exec<{ name: string; n: number }>("SELECT name, n FROM push_counts ORDER BY name")
        .toArray()
        .map((r) => [r.name, r.n]),
    );
  }
}
