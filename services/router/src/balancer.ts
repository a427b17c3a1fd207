/**
 * Per-deployment health as this replica sees it (in flight, latency and time-to-first-token EWMAs, the
 * circuit breaker) joined with the fleet-wide view (the sentinel's anomalies, through Steering), and
 * the strategies that rank a group's available deployments for one request.
 */
import { Breaker, type BreakerOptions, type BreakerState } from "./breaker.ts";
import type { Deployment, Strategy } from "./catalogue.ts";
import type { Steering } from "./steering.ts";

/** Weight of the newest sample in the EWMAs. */
const ALPHA = 0.3;
/** The least share a degraded deployment keeps in balanced routing: degraded is never zero traffic. */
const FLOOR = 0.01;

export interface DeploymentState {
  inFlight: number;
  latencyMs: number | null;
  ttftMs: number | null;
  breaker: Breaker;
}

/** A deployment's price for the cost strategy: USD per million input and output tokens. */
export type PriceOf = (d: Deployment) => { input: number; output: number } | undefined;

const ewma = (prev: number | null, sample: number) =>
  prev === null ? sample : prev + ALPHA * (sample - prev);

export interface BalancerOptions {
  breaker: BreakerOptions;
  steering: Steering;
  /** Current prices (the cost strategy); a deployment without one ranks after every priced one. */
  priceOf?: PriceOf;
  random?: () => number;
  now?: () => number;
}

export class Balancer {
  private readonly state = new Map<string, DeploymentState>();
  private readonly random: () => number;
  readonly now: () => number;

  constructor(private readonly opts: BalancerOptions) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  of(d: Deployment): DeploymentState {
    let s = this.state.get(d.id);
    if (!s) {
      s = { inFlight: 0, latencyMs: null, ttftMs: null, breaker: new Breaker(this.opts.breaker, this.now) };
      this.state.set(d.id, s);
    }
    return s;
  }

  /** Whether routing may choose it now: its breaker admits a call and no critical anomaly cooled it. */
  available(d: Deployment): boolean {
    return this.of(d).breaker.admits() && this.penalty(d).factor > 0;
  }

  penalty(d: Deployment) {
    return this.opts.steering.penalty(d.provider, d.model);
  }

  started(d: Deployment): void {
    const s = this.of(d);
    s.inFlight++;
    s.breaker.attempt();
  }

  /** A call ended well: latency for answers, time to first token for streams (never TTFT per token). */
  succeeded(d: Deployment, sample: { latencyMs?: number; ttftMs?: number }): void {
    const s = this.of(d);
    s.inFlight--;
    if (sample.latencyMs !== undefined) s.latencyMs = ewma(s.latencyMs, sample.latencyMs);
    if (sample.ttftMs !== undefined) s.ttftMs = ewma(s.ttftMs, sample.ttftMs);
    s.breaker.success();
  }

  /** The deployment failed (connect error, timeout, 429, 5xx); Retry-After, if it sent one, is honoured. */
  failed(d: Deployment, reason: string, retryAfterMs?: number): void {
    const s = this.of(d);
    s.inFlight--;
    s.breaker.failure(reason, retryAfterMs);
  }

  /** The caller left or was at fault: says nothing about the deployment. */
  released(d: Deployment): void {
    const s = this.of(d);
    s.inFlight--;
    s.breaker.release();
  }

  /** Orders available deployments of one group for this request by the group's strategy. */
  rank(ds: Deployment[], stream: boolean, strategy: Strategy): Deployment[] {
    if (strategy === "balanced") return this.weighted(ds);
    // Every other strategy keeps its order among equals, but a degraded deployment goes after the rest.
    const degraded = (d: Deployment) => (this.penalty(d).factor < 1 ? 1 : 0);
    return this.ordered(ds, stream, strategy).sort((a, b) => degraded(a) - degraded(b));
  }

  private ordered(ds: Deployment[], stream: boolean, strategy: Strategy): Deployment[] {
    switch (strategy) {
      case "fallback":
        return [...ds].sort((a, b) => a.priority - b.priority);
      case "least-busy":
        return this.shuffled(ds).sort((a, b) => this.of(a).inFlight - this.of(b).inFlight);
      case "latency": {
        // No sample yet counts as fastest, so every deployment gets measured.
        const ms = (d: Deployment) => (stream ? this.of(d).ttftMs : this.of(d).latencyMs) ?? 0;
        return this.shuffled(ds).sort((a, b) => ms(a) - ms(b));
      }
      case "cost": {
        // Input and output at the same weight: a blended price per token is what a request pays.
        const price = (d: Deployment) => {
          const p = this.opts.priceOf?.(d);
          return p ? p.input + p.output : Number.POSITIVE_INFINITY;
        };
        return this.shuffled(ds).sort((a, b) => price(a) - price(b));
      }
      default:
        return this.weighted(ds);
    }
  }

  /** The weight balanced routing uses now: configured weight times the anomaly penalty, floored. */
  effectiveWeight(d: Deployment): number {
    if (!this.of(d).breaker.admits()) return 0;
    const factor = this.penalty(d).factor;
    return factor === 0 ? 0 : d.weight * Math.max(FLOOR, factor);
  }

  /** Weighted sampling without replacement; weight-0 deployments only after all weighted ones, by priority. */
  private weighted(ds: Deployment[]): Deployment[] {
    const pool = ds
      .filter((d) => d.weight > 0)
      .map((d) => ({ d, w: d.weight * Math.max(FLOOR, this.penalty(d).factor) }));
    const out: Deployment[] = [];
    while (pool.length) {
      const total = pool.reduce((n, p) => n + p.w, 0);
      let r = this.random() * total;
      let i = 0;
      while (i < pool.length - 1 && (r -= pool[i]!.w) >= 0) i++;
      out.push(pool.splice(i, 1)[0]!.d);
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

  /** A deployment as GET /api/v1/providers shows it. */
  view(d: Deployment) {
    const s = this.of(d);
    const breaker: BreakerState = s.breaker.tick();
    const penalty = this.penalty(d);
    const { requests, failures } = s.breaker.window();
    const cooling = breaker !== "closed" || penalty.factor === 0;
    return {
      provider: d.provider,
      deployment: d.model,
      state: cooling ? "cooldown" : penalty.factor < 1 ? "degraded" : "healthy",
      breaker,
      weight: d.weight,
      effectiveWeight: this.effectiveWeight(d),
      until:
        breaker === "open"
          ? new Date(s.breaker.until).toISOString()
          : penalty.until
            ? new Date(penalty.until).toISOString()
            : null,
      reason: breaker !== "closed" ? s.breaker.reason : penalty.reason,
      latencyMs: s.latencyMs,
      ttftMs: s.ttftMs,
      inFlight: s.inFlight,
      errorRate: requests ? failures / requests : 0,
      requests,
    };
  }
}
