/**
 * A sliding window kept as a ring of time buckets, each holding a few counters: recording and reading
 * cost the same at any rate, and buckets the clock has left behind are cleared as it moves on. The
 * breaker counts successes and failures in one; the rate limiter requests and tokens.
 */
export class BucketWindow {
  private readonly counts: Float64Array[];
  /** Index (since the epoch) of the newest bucket. */
  private at = 0;

  constructor(
    private readonly buckets: number,
    private readonly bucketMs: number,
    counters: number,
    private readonly now: () => number,
  ) {
    this.counts = Array.from({ length: counters }, () => new Float64Array(buckets));
  }

  add(counter: number, amount: number): void {
    this.roll();
    this.counts[counter]![this.at % this.buckets]! += amount;
  }

  /** The counter summed over the window. */
  sum(counter: number): number {
    this.roll();
    let total = 0;
    for (const v of this.counts[counter]!) total += v;
    return total;
  }

  /** Ms until the oldest non-empty bucket leaves the window (when room opens up); 0 when empty. */
  msUntilOldestLeaves(): number {
    this.roll();
    for (let age = this.buckets - 1; age >= 0; age--) {
      const i = (this.at - age) % this.buckets;
      if (this.counts.some((c) => c[i] !== 0))
        return (this.at - age + this.buckets) * this.bucketMs - this.now();
    }
    return 0;
  }

  private roll(): void {
    const current = Math.floor(this.now() / this.bucketMs);
    const steps = Math.min(this.buckets, current - this.at);
    for (let s = 1; s <= steps; s++) {
      const i = (this.at + s) % this.buckets;
      for (const c of this.counts) c[i] = 0;
    }
    if (steps > 0) this.at = current;
  }
}
