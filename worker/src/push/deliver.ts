/**
 * One message to one push service (RFC 8030 §5): a POST of the ciphertext the agent made, with the
 * relay's VAPID signature (RFC 8292), TTL, Urgency and Topic, and what the answer means. The network
 * is a parameter, so the rules are tested with plain function calls (test/worker/push.test.ts).
 *
 * Answers: 2xx sent; 404/410 the subscription is gone for good (RFC 8030 §7.3); 413 too large; 429
 * too many (RFC 8030 §8.4, with Retry-After); 5xx and network failures are retried a bounded number
 * of times. A short Retry-After is waited out here; a long one goes back to the agent.
 */
import { vapidHeaders } from "@block65/webcrypto-web-push";
import type { PushTarget } from "./allowlist.js";

export type Urgency = "very-low" | "low" | "normal" | "high";

export interface OutgoingPush {
  /** RFC 8291 aes128gcm ciphertext, as the agent made it. */
  body: Uint8Array<ArrayBuffer>;
  ttl: number;
  urgency: Urgency;
  topic?: string | undefined;
}

export interface Vapid {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export type Delivery = { attempts: number } & (
  | { outcome: "sent" }
  | { outcome: "gone"; status: number }
  | { outcome: "too_large" }
  | { outcome: "throttled"; retryAfterSec: number }
  /** status null: the push service could not be reached (or did not answer in time). */
  | { outcome: "failed"; status: number | null }
);

export interface DeliverDeps {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export const MAX_ATTEMPTS = 3;
/** A Retry-After up to this long is waited out before the next attempt; a longer one is the agent's to honour. */
export const MAX_INLINE_WAIT_MS = 2000;
/** When a 429 names no time, the agent is told to wait this long. */
const DEFAULT_RETRY_AFTER_SEC = 60;
/** With MAX_ATTEMPTS and the waits, a send answers the agent well within its 30 s (node-agent/src/relay/api.ts). */
const ATTEMPT_TIMEOUT_MS = 5000;
const BACKOFF_MS = 250;

type Reachable = PushTarget & { ok: true };

export async function deliver(target: Reachable, push: OutgoingPush, vapid: Vapid, deps: DeliverDeps): Promise<Delivery> {
  // The library signs for a subscription; only its endpoint matters (the JWT's aud is its origin).
  const { headers: auth } = await vapidHeaders({ endpoint: target.signedAs, expirationTime: null, keys: { p256dh: "", auth: "" } }, vapid);
  const headers: Record<string, string> = {
    Authorization: auth.authorization,
    TTL: String(push.ttl),
    Urgency: push.urgency,
    "Content-Encoding": "aes128gcm",
    "Content-Type": "application/octet-stream",
  };
  if (push.topic) headers.Topic = push.topic;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      // No redirects: a push service does not send any, and following one would leave the allowlist.
      response = await deps.fetch(target.url, {
        method: "POST",
        headers,
        body: push.body,
        redirect: "manual",
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
    } catch {
      if (attempt < MAX_ATTEMPTS) {
        await deps.sleep(BACKOFF_MS * 2 ** (attempt - 1));
        continue;
      }
      return { outcome: "failed", status: null, attempts: attempt };
    }
    // The answer's body is never read (nor logged): only its status and headers matter.
    await response.body?.cancel();
    const status = response.status;
    if (status >= 200 && status < 300) return { outcome: "sent", attempts: attempt };
    if (status === 404 || status === 410) return { outcome: "gone", status, attempts: attempt };
    if (status === 413) return { outcome: "too_large", attempts: attempt };
    if (status === 429) {
      const waitMs = retryAfterMs(response.headers.get("Retry-After"), deps.now());
      if (attempt < MAX_ATTEMPTS && waitMs !== null && waitMs <= MAX_INLINE_WAIT_MS) {
        await deps.sleep(waitMs);
        continue;
      }
      return { outcome: "throttled", retryAfterSec: waitMs === null ? DEFAULT_RETRY_AFTER_SEC : Math.max(1, Math.ceil(waitMs / 1000)), attempts: attempt };
    }
    if (status >= 500 && attempt < MAX_ATTEMPTS) {
      await deps.sleep(BACKOFF_MS * 2 ** (attempt - 1));
      continue;
    }
    return { outcome: "failed", status, attempts: attempt };
  }
}

/** Retry-After (RFC 9110 §10.2.3): seconds, or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
