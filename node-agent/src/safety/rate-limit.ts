/**
 * Token buckets per requester and risk level. Each bucket holds up to `perMinute` tokens and refills
 * continuously at `perMinute` per minute, so a requester may burst a minute's worth and then goes at
 * the steady rate. Buckets live in memory: a restart gives everyone a full bucket, which is no more
 * than one burst. The map is bounded so a flood of distinct requesters cannot grow it without end.
 */
const MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token from `key`'s bucket; false when it is empty. */
  take(key: string, perMinute: number): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    this.buckets.delete(key);
    if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
