/**
 * One series: a metric of one (provider, model[, tenant]). Calls fall into event-time buckets; a closed
 * bucket is one observation, scored by the metric's detectors against the baseline, then fed to the
 * alert state machine (ok -> firing after `fireAfter` anomalous observations; firing -> resolved after
 * `resolveAfter` normal ones spanning `clearSeconds`, "normal" meaning below `resolveRatio` of the
 * thresholds). Only time values passed in are used: no clock is read here.
 */
import { Baseline, type BaselineSnapshot, quantile } from "./baseline.ts";
import type { DetectorName, MetricConfig } from "./config.ts";
import { createDetectors, type Detector } from "./detectors.ts";

export interface Subject {
  provider: string;
  model: string;
  tenant?: string;
}

/** What a series reports when it fires, escalates or resolves; the engine turns it into an event. */
export interface Transition {
  state: "firing" | "resolved";
  detector: DetectorName;
  metric: string;
  subject: Subject;
  /** The observation in the metric's own unit (ms, fraction, tokens, USD). */
  value: number;
  /** The baseline's centre in the same unit. */
  baseline: number;
  score: number;
  severity: "info" | "warning" | "critical";
  at: number;
  seq: number;
}

export interface SeriesHooks {
  detectorError(metric: string, detector: string, err: unknown): void;
}

interface Firing {
  detector: DetectorName;
  severity: Transition["severity"];
  score: number;
  since: number;
}

export interface SeriesSnapshot {
  key: string;
  subject: Subject;
  metric: string;
  firstSeen: number;
  bucket: { start: number; end: number; count: number; sum: number; errors: number; values: number[] } | null;
  baseline: BaselineSnapshot;
  detectors: Array<{ name: string; state: number[] }>;
  alert: {
    streak: number;
    normalStreak: number;
    normalSince: number | null;
    firing: Firing | null;
    seq: number;
  };
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

export class Series {
  private readonly baseline: Baseline;
  private readonly detectors: Detector[];
  private readonly bucketMs: number;
  private firstSeen = Number.NaN;
  // The open bucket.
  private start = Number.NaN;
  private end = Number.NaN;
  private count = 0;
  private sum = 0;
  private errors = 0;
  private values: number[] = [];
  // The alert state machine.
  private streak = 0;
  private normalStreak = 0;
  private normalSince = Number.NaN;
  private firing: Firing | null = null;
  private seq = 0;
  /** The last observation and its scores (for gauges and tests). */
  lastValue = Number.NaN;

  constructor(
    readonly key: string,
    readonly subject: Subject,
    readonly metric: MetricConfig,
    private readonly hooks: SeriesHooks,
    /** The metric's configured ensemble unless given (a detector under test). */
    detectors: Detector[] = createDetectors(metric),
  ) {
    this.baseline = new Baseline(
      metric.baseline.window,
      metric.minRequests,
      metric.direction === "up" ? 1 : -1,
    );
    this.detectors = detectors;
    this.bucketMs = metric.bucketSeconds * 1000;
  }

  get isFiring(): boolean {
    return this.firing !== null;
  }

  /** The baseline's centre and spread in the metric's unit, for gauges. */
  baselineView(): { center: number; samples: number } | null {
    const s = this.baseline.stats;
    return s ? { center: this.untransform(s.median), samples: this.baseline.samples } : null;
  }

  /**
   * A call at event time t: `value` for value metrics, `failed` for rate metrics, neither when the call
   * does not count for this metric (it still moves the series' clock).
   */
  add(t: number, value: number | undefined, failed?: boolean): Transition | null {
    if (Number.isNaN(this.firstSeen)) this.firstSeen = t;
    const out = t >= this.end ? this.close(t) : null;
    if (Number.isNaN(this.start)) this.open(t);
    if (failed !== undefined) {
      this.count++;
      if (failed) this.errors++;
    } else if (value !== undefined) {
      this.count++;
      if (this.metric.aggregate === "geomean") this.sum += Math.log(Math.max(value, 1e-9));
      else this.sum += value;
      if (this.metric.aggregate === "median" || this.metric.aggregate === "p90") this.values.push(value);
    }
    return out;
  }

  /** Closes a bucket the stream has left behind (no call of this series for a whole bucket). */
  sweep(watermark: number): Transition | null {
    if (Number.isNaN(this.start) || watermark < this.end + this.bucketMs) return null;
    return this.close(watermark);
  }

  private open(t: number): void {
    this.start = Math.floor(t / this.bucketMs) * this.bucketMs;
    this.end = this.start + this.bucketMs;
    this.count = 0;
    this.sum = 0;
    this.errors = 0;
    this.values.length = 0;
  }

  private close(t: number): Transition | null {
    if (this.count >= this.metric.minRequests) {
      const value = this.aggregate();
      const count = this.count;
      this.start = Number.NaN;
      this.end = Number.NaN;
      return this.observe(value, count, t);
    }
    if (t - this.start >= this.metric.maxSpanSeconds * 1000) {
      // Too few calls over the longest span we judge: not evidence either way.
      this.start = Number.NaN;
      this.end = Number.NaN;
    } else {
      // A quiet bucket extends to the bucket boundary after t, keeping its calls.
      this.end = (Math.floor(t / this.bucketMs) + 1) * this.bucketMs;
    }
    return null;
  }

  private aggregate(): number {
    switch (this.metric.aggregate) {
      case "rate":
        return this.errors / this.count;
      case "geomean":
        return Math.exp(this.sum / this.count);
      case "mean":
        return this.sum / this.count;
      case "median":
      case "p90": {
        const sorted = Float64Array.from(this.values).sort();
        return quantile(sorted, this.metric.aggregate === "median" ? 0.5 : 0.9);
      }
    }
  }

  private transform(v: number): number {
    return this.metric.transform === "log" ? Math.log(Math.max(v, 1e-9)) : v;
  }

  private untransform(x: number): number {
    return this.metric.transform === "log" ? Math.exp(x) : x;
  }

  private observe(value: number, count: number, t: number): Transition | null {
    const m = this.metric;
    const x = this.transform(value);
    this.lastValue = value;
    this.baseline.maybeRefresh(t, m.baseline.refreshSeconds * 1000, m.baseline.minSamples);
    const stats = this.baseline.stats;
    let transition: Transition | null = null;
    let anomalous = false;
    if (stats) {
      const ready = stats.n >= m.baseline.minSamples && t - this.firstSeen >= m.baseline.warmupSeconds * 1000;
      let votes = 0;
      let stillVotes = 0;
      let best: { d: Detector; score: number; ratio: number } | null = null;
      const u = this.baseline.residual(x, count);
      for (const d of this.detectors) {
        let score: number;
        try {
          score = d.update(u, stats);
          if (!Number.isFinite(score)) throw new Error(`score is ${score}`);
        } catch (err) {
          // One broken detector is counted and skipped; the others still vote.
          this.hooks.detectorError(m.name, d.name, err);
          continue;
        }
        const ratio = score / d.threshold;
        if (ratio >= 1) votes++;
        if (ratio >= m.alerting.resolveRatio) stillVotes++;
        if (!best || ratio > best.ratio) best = { d, score, ratio };
      }
      const delta = m.direction === "up" ? x - stats.median : stats.median - x;
      anomalous = ready && delta >= m.minDelta && votes >= m.ensemble.minVotes;
      const stillBad =
        ready && delta >= m.minDelta * m.alerting.resolveRatio && stillVotes >= m.ensemble.minVotes;
      transition = this.step(t, value, stats.median, anomalous, stillBad, best);
    }
    // The baseline learns normal data only, so an incident does not become the norm while it lasts;
    // a shift that stays past relearnSeconds is learnt (the new normal).
    const learn = this.firing
      ? t - this.firing.since >= m.baseline.relearnSeconds * 1000
      : !anomalous && this.streak === 0;
    if (learn) this.baseline.add(x, count);
    return transition;
  }

  private severityOf(ratio: number): Transition["severity"] {
    const raw = ratio >= this.metric.alerting.criticalRatio ? "critical" : "warning";
    return SEVERITY_RANK[raw] > SEVERITY_RANK[this.metric.maxSeverity] ? this.metric.maxSeverity : raw;
  }

  private step(
    t: number,
    value: number,
    center: number,
    anomalous: boolean,
    stillBad: boolean,
    best: { d: Detector; score: number; ratio: number } | null,
  ): Transition | null {
    const a = this.metric.alerting;
    if (!this.firing) {
      this.streak = anomalous ? this.streak + 1 : 0;
      if (!anomalous || this.streak < a.fireAfter || !best) return null;
      const severity = this.severityOf(best.ratio);
      this.firing = { detector: best.d.name, severity, score: best.score, since: t };
      this.streak = 0;
      return this.transition("firing", t, value, center, this.firing);
    }
    if (stillBad) {
      this.normalStreak = 0;
      this.normalSince = Number.NaN;
      // Escalation is news (warning -> critical); anything else while firing is deduplicated.
      if (anomalous && best) {
        const severity = this.severityOf(best.ratio);
        if (SEVERITY_RANK[severity] > SEVERITY_RANK[this.firing.severity]) {
          this.firing = { ...this.firing, detector: best.d.name, severity, score: best.score };
          return this.transition("firing", t, value, center, this.firing);
        }
      }
      return null;
    }
    this.normalStreak++;
    if (Number.isNaN(this.normalSince)) this.normalSince = t;
    if (this.normalStreak < a.resolveAfter || t - this.normalSince < a.clearSeconds * 1000) return null;
    const fired = this.firing;
    this.firing = null;
    this.normalStreak = 0;
    this.normalSince = Number.NaN;
    return this.transition("resolved", t, value, center, { ...fired, score: best?.score ?? 0 });
  }

  private transition(
    state: Transition["state"],
    t: number,
    value: number,
    center: number,
    f: Firing,
  ): Transition {
    return {
      state,
      detector: f.detector,
      metric: this.metric.name,
      subject: this.subject,
      value,
      baseline: this.untransform(center),
      score: f.score,
      severity: f.severity,
      at: t,
      seq: this.seq++,
    };
  }

  snapshot(): SeriesSnapshot {
    const nan = (x: number) => (Number.isNaN(x) ? null : x);
    return {
      key: this.key,
      subject: this.subject,
      metric: this.metric.name,
      firstSeen: this.firstSeen,
      bucket: Number.isNaN(this.start)
        ? null
        : {
            start: this.start,
            end: this.end,
            count: this.count,
            sum: this.sum,
            errors: this.errors,
            values: [...this.values],
          },
      baseline: this.baseline.snapshot(),
      detectors: this.detectors.map((d) => ({ name: d.name, state: d.snapshot() })),
      alert: {
        streak: this.streak,
        normalStreak: this.normalStreak,
        normalSince: nan(this.normalSince),
        firing: this.firing,
        seq: this.seq,
      },
    };
  }

  restore(s: SeriesSnapshot): void {
    this.firstSeen = s.firstSeen;
    if (s.bucket) {
      this.start = s.bucket.start;
      this.end = s.bucket.end;
      this.count = s.bucket.count;
      this.sum = s.bucket.sum;
      this.errors = s.bucket.errors;
      this.values = [...s.bucket.values];
    }
    this.baseline.restore(s.baseline);
    // Detectors are matched by name: a config that changed its ensemble keeps what still applies.
    for (const d of this.detectors) {
      const saved = s.detectors.find((x) => x.name === d.name);
      if (saved) d.restore(saved.state);
    }
    this.streak = s.alert.streak;
    this.normalStreak = s.alert.normalStreak;
    this.normalSince = s.alert.normalSince ?? Number.NaN;
    this.firing = s.alert.firing;
    this.seq = s.alert.seq;
  }
}
