/**
 * Per-deployment health as this replica sees it (in flight, latency and time-to-first-token EWMAs, a
 * cooldown after a failure) and the strategies that order a group's deployments for one request.
 * A deployment in cooldown is never dropped, only tried last, so a group is never an instant outage.
 */
import type { Deployment, ModelGroup, Strategy } from "./catalogue.ts";

/** Weight of the newest sample in the EWMAs. */
const ALPHA = 0.3;

export interface DeploymentState {
  inFlight: number;
  latencyMs: number | null;
  ttftMs: number | null;
  /** Epoch ms until which the deployment is cooling down after a failure (0 = healthy). */
  until: number;
  reason: string | null;
  requests: number;
  failures: number;
}

const ewma = (prev: number | null, sample: number) =>
  prev === null ? sample : prev + ALPHA * (sample - prev);

export class Balancer {
  private readonly state = new Map<string, DeploymentState>();

  constructor(
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  of(d: Deployment): DeploymentState {
    let s = this.state.get(d.id);
    if (!s) {
      s = { inFlight: 0, latencyMs: null, ttftMs: null, until: 0, reason: null, requests: 0, failures: 0 };
      this.state.set(d.id, s);
    }
    return s;
  }

  cooling(d: Deployment): boolean {
    return this.of(d).until > this.now();
  }

  started(d: Deployment): void {
    const s = this.of(d);
    s.inFlight++;
    s.requests++;
  }

  /** A call ended well: latency for answers, time to first token for streams (never TTFT per token). */
  succeeded(d: Deployment, sample: { latencyMs?: number; ttftMs?: number }): void {
    const s = this.of(d);
    s.inFlight--;
    if (sample.latencyMs !== undefined) s.latencyMs = ewma(s.latencyMs, sample.latencyMs);
    if (sample.ttftMs !== undefined) s.ttftMs = ewma(s.ttftMs, sample.ttftMs);
    s.until = 0;
    s.reason = null;
  }

  /** The deployment failed (connect error, timeout, 429, 5xx): cool down, at least as long as it asked. */
  failed(d: Deployment, reason: string, cooldownMs: number): void {
    const s = this.of(d);
    s.inFlight--;
    s.failures++;
    // A new failure during cooldown extends to the later deadline, never shortens it.
    s.until = Math.max(s.until, this.now() + cooldownMs);
    s.reason = reason;
  }

  /** The caller went away or the request was the client's fault: says nothing about the deployment. */
  released(d: Deployment): void {
    this.of(d).inFlight--;
  }

  /** The group's deployments in the order this request should try them. */
  order(group: ModelGroup, stream: boolean, strategy: Strategy = group.strategy): Deployment[] {
    const healthy = group.deployments.filter((d) => !this.cooling(d));
    // Cooling deployments go last, the one that recovers first ahead.
    const cooling = group.deployments
      .filter((d) => this.cooling(d))
      .sort((a, b) => this.of(a).until - this.of(b).until);
    return [...this.rank(healthy, stream, strategy), ...cooling];
  }

  private rank(ds: Deployment[], stream: boolean, strategy: Strategy): Deployment[] {
    switch (strategy) {
      case "fallback":
        return [...ds].sort((a, b) => a.priority - b.priority);
      case "least-busy":
        return this.shuffled(ds).sort((a, b) => this.of(a).inFlight - this.of(b).inFlight);
      case "latency": {
        // No sample yet counts as fastest, so every deployment gets measured.
        const cost = (d: Deployment) => (stream ? this.of(d).ttftMs : this.of(d).latencyMs) ?? 0;
        return this.shuffled(ds).sort((a, b) => cost(a) - cost(b));
      }
      default:
        return this.weighted(ds);
    }
  }

  /** Weighted sampling without replacement; weight-0 deployments only after all weighted ones, by priority. */
  private weighted(ds: Deployment[]): Deployment[] {
    const pool = ds.filter((d) => d.weight > 0);
    const out: Deployment[] = [];
    while (pool.length) {
      const total = pool.reduce((n, d) => n + d.weight, 0);
      let r = this.random() * total;
      let i = 0;
      while (i < pool.length - 1 && (r -= pool[i]!.weight) >= 0) i++;
      out.push(pool.splice(i, 1)[0]!);
    }
    return [...out, ...ds.filter((d) => d.weight === 0).sort((a, b) => a.priority - b.priority)];
  }

  private shuffled(ds: Deployment[]): Deployment[] {
    const a = [...ds];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
