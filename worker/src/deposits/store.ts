/**
 * What the Node's object keeps of reminder deposits, in its SQLite storage (schema.ts): per deposit
 * its due time, the VAPID subject, the sealed messages exactly as the agent made them (ciphertext,
 * device id, TTL, urgency, topic), their size and the attempts made; per deposit the relay sent or
 * gave up on, a tombstone with its time and outcome; and counters by outcome for the operator.
 */
import { DepositBody } from "@ora/protocol";

export type DepositMessage = DepositBody["messages"][number];

export interface HeldDeposit {
  id: string;
  dueAt: number;
  subject: string;
  messages: DepositMessage[];
  /** Attempts already made (a deposit the Node's rate limit held back comes again, with fewer messages). */
  tries: number;
}

/**
 * `sending`: taken out to be sent (or waiting to be tried again); `sent`: at least one message reached
 * a push service; `failed`: none did, and none will.
 */
export type TombstoneOutcome = "sending" | "sent" | "failed";

export interface Tombstone {
  sentAt: number;
  outcome: TombstoneOutcome;
}

/** Counted in the Node's metrics (docs/OPERATIONS.md, Metrics → deposits); `held` is read from the table. */
export type DepositCounter = "sent" | "withdrawn" | "refused" | "failed" | "retried";

const Messages = DepositBody.shape.messages;

export class DepositStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Deposits waiting now, other than `except` (the one a PUT replaces). */
  held(except?: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM deposits WHERE id IS NOT ?", except ?? null).one().n;
  }

  /** Adds a deposit, or replaces the one with its id. */
  put(deposit: HeldDeposit, bytes: number, now: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO deposits (id, due_at, subject, messages, bytes, created_at, tries) VALUES (?, ?, ?, ?, ?, ?, ?)",
      deposit.id,
      deposit.dueAt,
      deposit.subject,
      JSON.stringify(deposit.messages),
      bytes,
      now,
      deposit.tries,
    );
  }

  /** True when there was one. */
  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM deposits WHERE id = ?", id).rowsWritten > 0;
  }

  /** The earliest `limit` deposits due by `now`, oldest due first. */
  due(now: number, limit: number): HeldDeposit[] {
    const rows = this.sql
      .exec<{ id: string; due_at: number; subject: string; messages: string; tries: number }>(
        "SELECT id, due_at, subject, messages, tries FROM deposits WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
        now,
        limit,
      )
      .toArray();
    return rows.map((row) => {
      // Read back with the wire schema: a row written by an older relay either fits or is sent nowhere.
      const messages = Messages.safeParse(JSON.parse(row.messages));
      return { id: row.id, dueAt: row.due_at, subject: row.subject, messages: messages.success ? messages.data : [], tries: row.tries };
    });
  }

  nextDue(): number | undefined {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM deposits").one().at ?? undefined;
  }

  tombstone(id: string): Tombstone | null {
    const row = this.sql.exec<{ sent_at: number; outcome: TombstoneOutcome }>("SELECT sent_at, outcome FROM deposit_tombstones WHERE id = ?", id).toArray()[0];
    return row ? { sentAt: row.sent_at, outcome: row.outcome } : null;
  }

  /** Writes a deposit's tombstone, or updates its outcome; the time it was first taken out stays. */
  bury(id: string, at: number, outcome: TombstoneOutcome): void {
    this.sql.exec(
      "INSERT INTO deposit_tombstones (id, sent_at, outcome) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome",
      id,
      at,
      outcome,
    );
  }

  /** Forgets the tombstones of deposits taken out at or before `before`. */
  forgetTombstones(before: number): void {
    this.sql.exec("DELETE FROM deposit_tombstones WHERE sent_at <= ?", before);
  }

  count(name: DepositCounter): void {
    this.sql.exec("INSERT INTO deposit_counts (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = n + 1", name);
  }

  counters(): Record<string, number> {
    const counts = this.sql.exec<{ name: string; n: number }>("SELECT name, n FROM deposit_counts ORDER BY name").toArray();
    return { held: this.held(), ...Object.fromEntries(counts.map((r) => [r.name, r.n])) };
  }
}
