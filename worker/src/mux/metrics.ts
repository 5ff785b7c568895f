/**
 * Per-Node counters for the operator. Numbers only: no ids, names, payloads or addresses.
 * Kept in memory on the hot path and written to storage by the alarm (at most once a second while
 * there is activity), so they survive eviction without a write per message.
 */
import type { ErrorCode } from "@ora/protocol";

/** Upper bounds of the latency buckets, in milliseconds; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000] as const;

export type DropReason = "slow_consumer" | "late_answer" | "no_session" | "send_failed";

export interface Counters {
  agentConnects: number;
  clientConnects: number;
  requests: number;
  answers: number;
  chunks: number;
  timeouts: number;
  cancels: number;
  pushes: number;
  pendingHighWater: number;
  bytesIn: number;
  bytesOut: number;
  rejections: Partial<Record<ErrorCode, number>>;
  drops: Partial<Record<DropReason, number>>;
  latencyMs: number[];
}

export function emptyCounters(): Counters {
  return {
    agentConnects: 0,
    clientConnects: 0,
    requests: 0,
    answers: 0,
    chunks: 0,
    timeouts: 0,
    cancels: 0,
    pushes: 0,
    pendingHighWater: 0,
    bytesIn: 0,
    bytesOut: 0,
    rejections: {},
    drops: {},
    latencyMs: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
  };
}

export class Metrics {
  dirty = false;
  constructor(readonly counters: Counters) {}

  add(key: "agentConnects" | "clientConnects" | "requests" | "answers" | "chunks" | "timeouts" | "cancels" | "pushes" | "bytesIn" | "bytesOut", n = 1): void {
    this.counters[key] += n;
    this.dirty = true;
  }

  reject(code: ErrorCode): void {
    this.counters.rejections[code] = (this.counters.rejections[code] ?? 0) + 1;
    this.dirty = true;
  }

  drop(reason: DropReason): void {
    this.counters.drops[reason] = (this.counters.drops[reason] ?? 0) + 1;
    this.dirty = true;
  }

  pending(now: number): void {
    if (now <= this.counters.pendingHighWater) return;
    this.counters.pendingHighWater = now;
    this.dirty = true;
  }

  latency(ms: number): void {
    let i = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
    if (i === -1) i = LATENCY_BUCKETS_MS.length;
    this.counters.latencyMs[i]! += 1;
    this.dirty = true;
  }
}
