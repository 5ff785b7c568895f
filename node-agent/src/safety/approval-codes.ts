/**
 * One-time codes for CRITICAL approvals, and the lockout of deciders who guess them.
 *
 * Only the hash of a code is stored (sha256 of approval id ‖ code), so the database alone does not
 * reveal it. The code itself is kept in memory to be shown on the owner's channel; after a restart
 * that memory is gone, and the next owner listing issues a fresh code for the same approval (the old
 * hash is replaced), which keeps a pending CRITICAL approval decidable without ever storing a code.
 */
import type Database from "better-sqlite3";
import { randomInt, timingSafeEqual } from "node:crypto";
import { sha256Hex } from "./canonical.js";

export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

export function codeHash(approvalId: string, code: string): string {
  return sha256Hex(`${approvalId}:${code}`);
}

export function codeMatches(approvalId: string, code: string, storedHash: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return timingSafeEqual(Buffer.from(codeHash(approvalId, code), "hex"), Buffer.from(storedHash, "hex"));
}

/** Wrong-code counters and lockouts per decider, in the `lockouts` table so a restart does not reset them. */
export class CodeLockouts {
  private readonly get: Database.Statement<[string], { failures: number; locked_until: number }>;
  private readonly put: Database.Statement<[string, number, number]>;
  private readonly clear: Database.Statement<[string]>;

  constructor(
    db: Database.Database,
    private readonly attempts: number,
    private readonly lockoutMs: number,
    private readonly now: () => number,
  ) {
    this.get = db.prepare("SELECT failures, locked_until FROM lockouts WHERE key = ?");
    this.put = db.prepare(
      "INSERT INTO lockouts (key, failures, locked_until) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
    );
    this.clear = db.prepare("DELETE FROM lockouts WHERE key = ?");
  }

  /** Milliseconds left in `decider`'s lockout; 0 when not locked out. */
  remaining(decider: string): number {
    const row = this.get.get(key(decider));
    return row ? Math.max(0, row.locked_until - this.now()) : 0;
  }

  /** Counts a wrong code; returns true when this failure locked the decider out. */
  fail(decider: string): boolean {
    const failures = (this.get.get(key(decider))?.failures ?? 0) + 1;
    if (failures >= this.attempts) {
      this.put.run(key(decider), 0, this.now() + this.lockoutMs);
      return true;
    }
    this.put.run(key(decider), failures, 0);
    return false;
  }

  succeed(decider: string): void {
    this.clear.run(key(decider));
  }
}

const key = (decider: string) => `critical-code:${decider}`;
