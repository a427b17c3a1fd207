/**
 * A series' baseline: the last `window` observations in a ring, each with the number of calls it
 * aggregates, and statistics over them recomputed on refresh only (event time), so scoring is O(1) per
 * observation and sorting happens once a minute.
 *
 * Observations of busy and quiet periods differ in noise (a mean of 5 calls swings more than a mean of
 * 50), so spread is measured on residuals scaled to a reference count: r = dir * (x - median) * sqrt(n / nRef).
 * A new observation is scored the same way, which keeps night-time buckets from looking anomalous
 * against a spread learnt by day, and day-time ones from hiding in it.
 */

export interface BaselineStats {
  n: number;
  /** Median of the observations (transformed units): the baseline's centre. */
  median: number;
  /** Statistics of the scaled residuals, oriented so that positive is bad. */
  mean: number;
  std: number;
  rMedian: number;
  /** Median absolute deviation of the residuals (unscaled). */
  mad: number;
  q1: number;
  q3: number;
}

export interface BaselineSnapshot {
  values: number[];
  counts: number[];
  next: number;
  stats: BaselineStats | null;
  refreshedAt: number | null;
}

/** Linear-interpolated quantile of a sorted array. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Puts the k-th smallest of a[from..to] at a[k] (quickselect, median-of-three pivot); O(n) on average. */
function select(a: Float64Array, k: number, from: number, to: number): void {
  let lo = from;
  let hi = to;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot: sorted or constant windows stay linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The q-quantile of a[0..n) with the same interpolation as `quantile` on the sorted array, by selection
 * (reorders a). Callers ask for increasing q so each selection works on the part right of the last one.
 */
function selectQuantile(a: Float64Array, n: number, q: number, from = 0): number {
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  select(a, lo, from, n - 1);
  const low = a[lo]!;
  if (pos === lo || lo + 1 >= n) return low;
  // The next order statistic is the minimum of what lies right of lo.
  let next = Number.POSITIVE_INFINITY;
  for (let i = lo + 1; i < n; i++) if (a[i]! < next) next = a[i]!;
  return low + (next - low) * (pos - lo);
}

/**
 * Baseline statistics without sorting: a handful of selections over scratch buffers (a refresh of a
 * 1000-observation window costs tens of microseconds, not a sort's hundreds).
 */
export function computeStats(
  values: ArrayLike<number>,
  counts: ArrayLike<number>,
  nRef: number,
  dir: 1 | -1,
  scratch: Float64Array = new Float64Array(values.length),
): BaselineStats {
  const n = values.length;
  const a = scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  a.set(values);
  const median = selectQuantile(a, n, 0.5);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = dir * (values[i]! - median) * Math.sqrt(counts[i]! / nRef);
    a[i] = r;
    sum += r;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (a[i]! - mean) ** 2;
  const q1 = selectQuantile(a, n, 0.25);
  const rMedian = selectQuantile(a, n, 0.5, Math.floor((n - 1) * 0.25));
  const q3 = selectQuantile(a, n, 0.75, Math.floor((n - 1) * 0.5));
  for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]! - rMedian);
  const mad = selectQuantile(a, n, 0.5);
  return { n, median, mean, std: n > 1 ? Math.sqrt(sq / (n - 1)) : 0, rMedian, mad, q1, q3 };
}

export class Baseline {
  private readonly ring: Float64Array;
  private readonly counts: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;
  private filled = 0;
  stats: BaselineStats | null = null;
  refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly window: number,
    private readonly nRef: number,
    private readonly dir: 1 | -1,
  ) {
    this.ring = new Float64Array(window);
    this.counts = new Float64Array(window);
    this.scratch = new Float64Array(window);
  }

  get samples(): number {
    return this.filled;
  }

  /** The scaled, oriented residual of an observation against the current centre. */
  residual(x: number, count: number): number {
    return this.dir * (x - this.stats!.median) * Math.sqrt(count / this.nRef);
  }

  add(x: number, count: number): void {
    this.ring[this.next] = x;
    this.counts[this.next] = count;
    this.next = (this.next + 1) % this.window;
    if (this.filled < this.window) this.filled++;
  }

  /** Recomputes the statistics when due (or while the baseline is still filling up to minSamples). */
  maybeRefresh(now: number, refreshMs: number, minSamples: number): void {
    const due = now - this.refreshedAt >= refreshMs || (this.stats?.n ?? 0) < minSamples;
    if (!due || this.filled === 0) return;
    this.stats = computeStats(
      this.ring.subarray(0, this.filled),
      this.counts.subarray(0, this.filled),
      this.nRef,
      this.dir,
      this.scratch,
    );
    this.refreshedAt = now;
  }

  snapshot(): BaselineSnapshot {
    return {
      values: Array.from(this.ring.subarray(0, this.filled)),
      counts: Array.from(this.counts.subarray(0, this.filled)),
      next: this.next,
      stats: this.stats,
      // JSON has no -Infinity: "never refreshed" is null.
      refreshedAt: Number.isFinite(this.refreshedAt) ? this.refreshedAt : null,
    };
  }

  restore(s: BaselineSnapshot): void {
    // A snapshot from a larger window keeps its newest values (in ring order from `next`).
    let values = s.values;
    let counts = s.counts;
    let next = s.next;
    if (values.length > this.window) {
      const order = [...values.keys()].map((i) => (s.next + i) % values.length);
      values = order.map((i) => s.values[i]!).slice(-this.window);
      counts = order.map((i) => s.counts[i]!).slice(-this.window);
      next = 0;
    }
    this.ring.set(values);
    this.counts.set(counts);
    this.filled = values.length;
    this.next = next % this.window;
    this.stats = s.stats;
    this.refreshedAt = s.refreshedAt ?? Number.NEGATIVE_INFINITY;
  }
}
