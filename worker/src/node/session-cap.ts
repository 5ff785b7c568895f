/**
 * The cap on one Node's open client sessions (ORA_RELAY_MAX_SESSIONS): how many a Durable Object holds
 * well inside its memory (docs/OPERATIONS.md, sessions per Node). A session over the cap is refused at
 * its upgrade, before the mux sees it, with `session_limit` and close 1013 (RFC 6455: try again later);
 * nothing already open is touched. The refusals are counted in the object's storage (meta), like the
 * lockdown's, so the operator's metrics outlive eviction.
 */
import type { MetaStore } from "./meta.js";

export const SESSION_LIMIT_MESSAGE = "this PC has as many sessions open as the relay allows; close another one or try again later";

const REFUSED_KEY = "session_cap_refused";

export class SessionCap {
  constructor(
    private readonly meta: MetaStore,
    readonly max: number,
  ) {}

  /** Whether one more session is refused while `open` client sockets are open (and counted when it is). */
  refuses(open: number): boolean {
    if (open < this.max) return false;
    this.meta.set(REFUSED_KEY, String(this.refused() + 1));
    return true;
  }

  counters(): { max: number; refused: number } {
    return { max: this.max, refused: this.refused() };
  }

  private refused(): number {
    return Number(this.meta.get(REFUSED_KEY) ?? 0);
  }
}
