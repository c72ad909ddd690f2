/**
 * Token buckets by key: `rate` requests per second, bursts up to one second's worth. The rate
 * is given at each take, so one set of buckets serves limits that differ per key (per space).
 * Pure: the caller passes the time.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /**
   * Takes one token for `key`; returns 0 when granted, else the milliseconds until one is
   * available (nothing is taken then). A rate of 0 or less means no limit.
   */
  take(key: string, rate: number, now: number): number {
    if (rate <= 0) return 0;
    const bucket = this.buckets.get(key) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return Math.ceil(((1 - bucket.tokens) / rate) * 1000);
    bucket.tokens -= 1;
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    return 0;
  }

  /** A bucket untouched for a second is full again, the same as no bucket: drop it, so memory follows active keys only. */
  private forgetIdle(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.at > 1000) this.buckets.delete(key);
  }
}
