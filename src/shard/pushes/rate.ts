import { MAX_RATE_CLIENTS } from "../../limits";

/**
 * Per-client token buckets for one shard: each client may push `per_second` on average, in bursts
 * of up to `burst`. Kept in memory (a fresh object starts with full buckets), which is what a rate
 * limit needs: it protects the shard's throughput, it records nothing.
 */
export interface RateLimit {
  per_second: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one token for `client`; returns 0 when allowed, else the seconds until one is free. */
  take(limit: RateLimit, client: string, nowMs: number): number {
    const bucket = this.buckets.get(client) ?? { tokens: limit.burst, at: nowMs };
    const tokens = Math.min(limit.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * limit.per_second);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: nowMs });
      return (1 - tokens) / limit.per_second;
    }
    if (!this.buckets.has(client) && this.buckets.size >= MAX_RATE_CLIENTS) {
      // Forget the oldest client: a full bucket is what it would get back anyway.
      this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.delete(client);
    this.buckets.set(client, { tokens: tokens - 1, at: nowMs });
    return 0;
  }
}
