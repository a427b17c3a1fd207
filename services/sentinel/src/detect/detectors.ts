/**
 * The five detectors. Each scores a (transformed) observation against the baseline's statistics, in the
 * metric's bad direction, on its own natural scale (z units, IQRs, CUSUM sum); `threshold` is where that
 * scale becomes anomalous, so score / threshold compares detectors. CUSUM and EWMA carry state from one
 * observation to the next, which is what lets them see slow drifts a point detector misses.
 */
import type { BaselineStats } from "./baseline.ts";
import type { DetectorName, MetricConfig } from "./config.ts";

/**
 * Every detector scores the observation's scaled residual u (baseline.ts: oriented so positive is bad,
 * in units of an observation of nRef calls) against the same statistics of the baseline's residuals.
 */
export interface Detector {
  readonly name: DetectorName;
  readonly threshold: number;
  /** Scores u (higher = worse). Stateful detectors also advance their state. */
  update(u: number, stats: BaselineStats): number;
  snapshot(): number[];
  restore(state: number[]): void;
}

/** Robust standard deviation: 1.4826 MAD estimates sigma for normal data; floored so flat baselines stay sane. */
export const robustScale = (s: BaselineStats, minScale: number) => Math.max(1.4826 * s.mad, minScale, 1e-12);

class ZScore implements Detector {
  readonly name = "zscore" as const;
  constructor(
    readonly threshold: number,
    private readonly minScale: number,
  ) {}
  update(u: number, s: BaselineStats): number {
    return (u - s.mean) / Math.max(s.std, this.minScale, 1e-12);
  }
  snapshot(): number[] {
    return [];
  }
  restore(): void {}
}

class Mad implements Detector {
  readonly name = "mad" as const;
  constructor(
    readonly threshold: number,
    private readonly minScale: number,
  ) {}
  update(u: number, s: BaselineStats): number {
    // 0.6745 (x - median) / MAD, written as (x - median) / (1.4826 MAD) so the floor applies in sigma units.
    return (u - s.rMedian) / robustScale(s, this.minScale);
  }
  snapshot(): number[] {
    return [];
  }
  restore(): void {}
}

class Iqr implements Detector {
  readonly name = "iqr" as const;
  constructor(
    readonly threshold: number,
    private readonly minScale: number,
  ) {}
  update(u: number, s: BaselineStats): number {
    // An IQR is 1.349 sigma for normal data: the same floor as the others, in IQR units.
    return (u - s.q3) / Math.max(s.q3 - s.q1, this.minScale * 1.349, 1e-12);
  }
  snapshot(): number[] {
    return [];
  }
  restore(): void {}
}

class Cusum implements Detector {
  readonly name = "cusum" as const;
  private sum = 0;
  constructor(
    readonly threshold: number,
    private readonly k: number,
    private readonly minScale: number,
  ) {}
  update(u: number, s: BaselineStats): number {
    const z = (u - s.rMedian) / robustScale(s, this.minScale);
    // Capped at twice the decision interval: a long incident must not take hours of normal data to unwind.
    this.sum = Math.min(2 * this.threshold, Math.max(0, this.sum + z - this.k));
    return this.sum;
  }
  snapshot(): number[] {
    return [this.sum];
  }
  restore(state: number[]): void {
    this.sum = state[0] ?? 0;
  }
}

class Ewma implements Detector {
  readonly name = "ewma" as const;
  private value = Number.NaN;
  constructor(
    readonly threshold: number,
    private readonly lambda: number,
    private readonly minScale: number,
  ) {}
  update(u: number, s: BaselineStats): number {
    const z = (u - s.rMedian) / robustScale(s, this.minScale);
    this.value = Number.isNaN(this.value) ? z : this.lambda * z + (1 - this.lambda) * this.value;
    // In units of the EWMA statistic's own asymptotic standard deviation.
    return this.value / Math.sqrt(this.lambda / (2 - this.lambda));
  }
  snapshot(): number[] {
    return Number.isNaN(this.value) ? [] : [this.value];
  }
  restore(state: number[]): void {
    this.value = state[0] ?? Number.NaN;
  }
}

/** The detectors of a metric's ensemble, configured. */
export function createDetectors(m: MetricConfig): Detector[] {
  const d = m.detectors;
  return m.ensemble.detectors.map((name): Detector => {
    switch (name) {
      case "zscore":
        return new ZScore(d.zscore.threshold, m.minScale);
      case "mad":
        return new Mad(d.mad.threshold, m.minScale);
      case "iqr":
        return new Iqr(d.iqr.k, m.minScale);
      case "cusum":
        return new Cusum(d.cusum.h, d.cusum.k, m.minScale);
      case "ewma":
        return new Ewma(d.ewma.L, d.ewma.lambda, m.minScale);
    }
  });
}
