// Optional per-token rate limit: a token bucket per client token (refilled continuously).
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    requestsPerMinute: number,
    private readonly burst: number = Math.max(1, Math.ceil(requestsPerMinute / 6)),
  ) {
    this.perMs = requestsPerMinute / 60_000;
  }

  /** 0 when the request may go ahead, else the seconds to wait before trying again. */
  take(key: string, now: number = Date.now()): number {
    let b = this.buckets.get(key);
    if (!b) {
      // Only configured tokens get this far (auth runs first), so the map stays tiny.
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }
}
