/**
 * What the sentinel's anomalies do to routing. Each replica reads the whole llm.anomalies topic, so the
 * fleet shares one view of provider health without a shared cache: five replicas do not each have to
 * rediscover an outage through their own failures.
 *
 * A firing anomaly on a deployment's provider and upstream model lowers its share at once, by severity:
 * a warning keeps a fraction of its traffic, a critical one cools it down (tried only when nothing else
 * is left). Hysteresis: while an anomaly fires, a milder repeat never eases the penalty; recovery (a
 * resolve, or the TTL when no resolve comes) ramps the share back over `recoveryMs` instead of snapping
 * back, so a flapping metric does not swing traffic. Anomalies about one tenant's traffic say nothing of
 * the provider as a whole and are not applied.
 */
import type { AnomalyEvent } from "@llmops/shared";

export type Severity = AnomalyEvent["severity"];

/** Share of its weight a deployment keeps under an anomaly of this severity (0 = cooled down). */
export const SEVERITY_FACTOR: Record<Severity, number> = { info: 1, warning: 0.25, critical: 0 };
const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface SteeringOptions {
  /** An anomaly with no resolve stops counting this long after it was detected. */
  ttlMs: number;
  /** How long a recovered deployment takes to get its full share back. */
  recoveryMs: number;
}

interface Active {
  severity: Severity;
  detector: string;
  metric: string;
  expiresAt: number;
}

interface SubjectState {
  active: Map<string, Active>;
  /** Set when the last active anomaly ended: the share ramps from `from` to 1 from `at` on. */
  recovery: { from: number; at: number } | null;
}

export interface Penalty {
  /** Share of the configured weight the deployment keeps now, 0-1. */
  factor: number;
  reason: string | null;
  /** Epoch ms the penalty (or its recovery ramp) ends. */
  until: number;
}

const NONE: Penalty = { factor: 1, reason: null, until: 0 };
const key = (provider: string, model: string) => `${provider}\u0000${model}`;

export class Steering {
  private readonly subjects = new Map<string, SubjectState>();
  /** Anomalies applied since start, by state (what the metrics report). */
  applied = { firing: 0, resolved: 0, ignored: 0 };

  constructor(
    private readonly opts: SteeringOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes in one llm.anomalies event. */
  apply(e: AnomalyEvent): void {
    if (e.subject.tenant) {
      this.applied.ignored++;
      return;
    }
    const k = key(e.subject.provider, e.subject.model);
    const id = `${e.detector}\u0000${e.metric}`;
    const now = this.now();
    if (e.state === "resolved") {
      const s = this.subjects.get(k);
      if (!s?.active.has(id)) return;
      const before = this.penaltyOf(s, now).factor;
      s.active.delete(id);
      if (s.active.size === 0) s.recovery = { from: before, at: now };
      this.applied.resolved++;
      return;
    }
    // Event time decides how long it counts; a replayed old anomaly has already expired.
    const detected = Date.parse(e.detectedAt);
    const expiresAt = Math.min(Number.isNaN(detected) ? now : detected, now) + this.opts.ttlMs;
    if (expiresAt <= now) {
      this.applied.ignored++;
      return;
    }
    let s = this.subjects.get(k);
    if (!s) this.subjects.set(k, (s = { active: new Map(), recovery: null }));
    const prev = s.active.get(id);
    const severity = prev && RANK[prev.severity] > RANK[e.severity] ? prev.severity : e.severity;
    s.active.set(id, { severity, detector: e.detector, metric: e.metric, expiresAt });
    this.applied.firing++;
  }

  /** The penalty on a deployment now. */
  penalty(provider: string, model: string): Penalty {
    const s = this.subjects.get(key(provider, model));
    return s ? this.penaltyOf(s, this.now()) : NONE;
  }

  private penaltyOf(s: SubjectState, now: number): Penalty {
    // Expired without a resolve: the recovery starts at the expiry, whoever notices it first.
    let expired: Active | null = null;
    for (const [id, a] of s.active)
      if (a.expiresAt <= now) {
        s.active.delete(id);
        if (!expired || RANK[a.severity] > RANK[expired.severity]) expired = a;
      }
    if (expired && s.active.size === 0)
      s.recovery = { from: SEVERITY_FACTOR[expired.severity], at: expired.expiresAt };
    let worst: Active | null = null;
    for (const a of s.active.values()) if (!worst || RANK[a.severity] > RANK[worst.severity]) worst = a;
    if (worst && worst.severity !== "info")
      return {
        factor: SEVERITY_FACTOR[worst.severity],
        reason: `anomaly: ${worst.detector} ${worst.metric} (${worst.severity})`,
        until: worst.expiresAt,
      };
    if (s.recovery) {
      const elapsed = now - s.recovery.at;
      if (elapsed < this.opts.recoveryMs) {
        const factor = s.recovery.from + ((1 - s.recovery.from) * elapsed) / this.opts.recoveryMs;
        return { factor, reason: "recovering from an anomaly", until: s.recovery.at + this.opts.recoveryMs };
      }
      s.recovery = null;
    }
    return NONE;
  }
}
