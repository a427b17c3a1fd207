/**
 * A seeded generator of LLM telemetry (llm.traces events) with labelled incidents, to measure the
 * detectors. The traffic is meant to look like production: several providers and models of different
 * speed and volume, diurnal load (a trough at 04:00 UTC, a peak at 16:00), streaming and non-streaming
 * calls, log-normal token counts, latency = time to first token + output tokens x time per token with a
 * heavy tail (a few percent of calls queue for 3-8x longer), a background of provider errors, caller
 * errors and aborts that are not the provider's fault, and latency that rises a little with load.
 * The same seed gives the same events, byte for byte.
 */
import type { TraceEvent } from "@llmops/shared/events";
import type { MetricName } from "../detect/config.ts";

export const INCIDENT_KINDS = [
  "latency_spike",
  "slow_drift",
  "error_burst",
  "ttft_regression",
  "token_flood",
  "cost_drift",
] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export interface Incident {
  id: string;
  kind: IncidentKind;
  provider: string;
  model: string;
  /** Set when the incident is one tenant's (a token flood). */
  tenant?: string;
  start: number;
  end: number;
  /** The metrics an operator expects to fire for it. */
  metrics: MetricName[];
  /** Peak effect (multiplier or error rate). */
  magnitude: number;
}

interface Deployment {
  provider: string;
  model: string;
  /** Calls per second at the daily peak. */
  peakRps: number;
  ttftMs: number;
  perTokenMs: number;
  outputTokens: number;
  /** USD per million tokens (input, output): the evaluation's catalogue. */
  prices: [number, number];
}

export const DEPLOYMENTS: readonly Deployment[] = [
  {
    provider: "openai",
    model: "gpt-4o-mini",
    peakRps: 2.0,
    ttftMs: 300,
    perTokenMs: 8,
    outputTokens: 220,
    prices: [0.15, 0.6],
  },
  {
    provider: "openai",
    model: "gpt-4o",
    peakRps: 0.8,
    ttftMs: 450,
    perTokenMs: 18,
    outputTokens: 300,
    prices: [2.5, 10],
  },
  {
    provider: "anthropic",
    model: "claude-sonnet-4",
    peakRps: 0.6,
    ttftMs: 700,
    perTokenMs: 20,
    outputTokens: 350,
    prices: [3, 15],
  },
  {
    provider: "azure",
    model: "gpt-4o-mini-eu",
    peakRps: 0.5,
    ttftMs: 350,
    perTokenMs: 9,
    outputTokens: 220,
    prices: [0.165, 0.66],
  },
  {
    provider: "bedrock",
    model: "llama-3.1-70b",
    peakRps: 0.3,
    ttftMs: 200,
    perTokenMs: 6,
    outputTokens: 260,
    prices: [0.72, 0.72],
  },
];

const TENANTS: ReadonlyArray<[string, number]> = [
  ["acme", 0.4],
  ["globex", 0.25],
  ["initech", 0.15],
  ["umbrella", 0.12],
  ["hooli", 0.08],
];

/** mulberry32: small, fast, good enough for simulation, and reproducible everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratorOptions {
  seed: number;
  days: number;
  /** ISO start (a Monday, midnight UTC, by default). */
  start?: string;
  /** Traffic multiplier (1 = the rates above). */
  scale?: number;
  /** Incidents injected per simulated day (kinds in rotation). */
  incidentsPerDay?: number;
}

export interface Simulation {
  incidents: Incident[];
  start: number;
  end: number;
  /** The events in startedAt order. */
  events(): Generator<TraceEvent>;
}

const DAY = 86_400_000;
const MIN = 60_000;

/** How much of the peak rate flows at time t: 0.2 at 04:00 UTC, 1 at 16:00. */
export function diurnal(t: number): number {
  const hour = (t % DAY) / 3_600_000;
  return 0.2 + 0.8 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24));
}

function planIncidents(r: () => number, start: number, days: number, perDay: number): Incident[] {
  const out: Incident[] = [];
  const total = Math.round(days * perDay);
  const busyUntil = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const kind = INCIDENT_KINDS[i % INCIDENT_KINDS.length]!;
    const dep = DEPLOYMENTS[Math.floor(r() * DEPLOYMENTS.length)]!;
    const key = `${dep.provider}/${dep.model}`;
    const slot = (days * DAY) / total;
    // One incident per slot, placed after the first two hours (warm-up) and clear of the deployment's last one.
    let at = start + i * slot + (0.1 + 0.6 * r()) * slot;
    at = Math.max(at, start + 2 * 3_600_000, (busyUntil.get(key) ?? 0) + 60 * MIN);
    let minutes: number;
    let magnitude: number;
    let metrics: MetricName[];
    let tenant: string | undefined;
    switch (kind) {
      case "latency_spike":
        minutes = 5 + 10 * r();
        magnitude = 2.5 + 1.5 * r();
        metrics = ["latency", "ttft"];
        break;
      case "slow_drift":
        minutes = 120;
        magnitude = 1.8 + 0.4 * r();
        metrics = ["latency", "ttft"];
        break;
      case "error_burst":
        minutes = 3 + 7 * r();
        magnitude = 0.15 + 0.35 * r();
        metrics = ["error_rate"];
        break;
      case "ttft_regression":
        minutes = 20 + 20 * r();
        magnitude = 2 + r();
        metrics = ["ttft", "latency"];
        break;
      case "token_flood":
        minutes = 15 + 15 * r();
        magnitude = 4 + 4 * r();
        metrics = ["tokens", "cost"];
        tenant = TENANTS[Math.floor(r() * 3)]![0];
        break;
      case "cost_drift":
        minutes = 120;
        magnitude = 2.5 + r();
        metrics = ["cost", "tokens"];
        break;
    }
    const end = at + minutes * MIN;
    if (end > start + days * DAY) continue;
    busyUntil.set(key, end);
    out.push({
      id: `inc-${i + 1}`,
      kind,
      provider: dep.provider,
      model: dep.model,
      ...(tenant ? { tenant } : {}),
      start: Math.round(at),
      end: Math.round(end),
      metrics,
      magnitude,
    });
  }
  return out;
}

export function simulate(opts: GeneratorOptions): Simulation {
  const start = Date.parse(opts.start ?? "2026-01-05T00:00:00Z");
  const end = start + opts.days * DAY;
  const scale = opts.scale ?? 1;
  const incidents = planIncidents(rng(opts.seed ^ 0x9e3779b9), start, opts.days, opts.incidentsPerDay ?? 6);
  const byDeployment = new Map<string, Incident[]>();
  for (const i of incidents) {
    const k = `${i.provider}/${i.model}`;
    byDeployment.set(k, [...(byDeployment.get(k) ?? []), i]);
  }

  function* events(): Generator<TraceEvent> {
    const r = rng(opts.seed);
    const normal = () => {
      const u = 1 - r();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
    };
    const logNormal = (median: number, sigma: number) => median * Math.exp(sigma * normal());
    const poisson = (lambda: number) => {
      const l = Math.exp(-lambda);
      let k = 0;
      let p = 1;
      do {
        k++;
        p *= r();
      } while (p > l);
      return k - 1;
    };
    const pickTenant = () => {
      let u = r();
      for (const [name, share] of TENANTS) if ((u -= share) <= 0) return name;
      return TENANTS[0]![0];
    };
    let seq = 0;
    const tick: TraceEvent[] = [];
    for (let second = start; second < end; second += 1000) {
      const load = diurnal(second);
      tick.length = 0;
      for (const dep of DEPLOYMENTS) {
        const n = poisson(dep.peakRps * scale * load);
        if (n === 0) continue;
        const active = (byDeployment.get(`${dep.provider}/${dep.model}`) ?? []).filter(
          (i) => second >= i.start && second < i.end,
        );
        for (let j = 0; j < n; j++) tick.push(call(dep, second + Math.floor(r() * 1000), load, active));
      }
      tick.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
      for (const e of tick) yield e;
    }

    function call(dep: Deployment, t: number, load: number, active: Incident[]): TraceEvent {
      const tenant = pickTenant();
      const stream = r() < 0.6;
      let latencyFactor = 1 + 0.15 * load;
      let ttftFactor = latencyFactor;
      let inputFactor = 1;
      let outputFactor = 1;
      let errorRate = 0.006;
      for (const i of active) {
        const progress = (t - i.start) / (i.end - i.start);
        switch (i.kind) {
          case "latency_spike":
            latencyFactor *= i.magnitude;
            ttftFactor *= i.magnitude;
            break;
          case "slow_drift": {
            const f = 1 + (i.magnitude - 1) * progress;
            latencyFactor *= f;
            ttftFactor *= f;
            break;
          }
          case "error_burst":
            errorRate = Math.max(errorRate, i.magnitude);
            break;
          case "ttft_regression":
            ttftFactor *= i.magnitude;
            break;
          case "token_flood":
            if (tenant === i.tenant) {
              inputFactor *= i.magnitude * 0.75;
              outputFactor *= i.magnitude;
            }
            break;
          case "cost_drift":
            inputFactor *= 1 + (i.magnitude - 1) * progress;
            break;
        }
      }
      const inputTokens = Math.min(120_000, Math.round(logNormal(900 * inputFactor, 0.9)));
      const outputTokens = Math.max(
        1,
        Math.min(8_000, Math.round(logNormal(dep.outputTokens * outputFactor, 0.7))),
      );
      // The heavy tail: a few calls queue behind others or hit a cold replica.
      const tail = r() < 0.03 ? 3 + 5 * r() : 1;
      const ttft = logNormal(dep.ttftMs * ttftFactor, 0.35) * tail;
      let latencyMs = ttft + outputTokens * dep.perTokenMs * latencyFactor * logNormal(1, 0.2);
      let status = 200;
      let errorType: string | null = null;
      const u = r();
      if (u < errorRate) {
        const kind = r();
        if (kind < 0.6) status = [500, 502, 503][Math.floor(r() * 3)]!;
        else if (kind < 0.95) {
          status = 429;
          errorType = "upstream_rate_limited";
        } else {
          status = 504;
          errorType = "upstream_timeout";
          latencyMs = 30_000;
        }
        errorType ??= "upstream_error";
        if (status !== 504) latencyMs = logNormal(120, 0.5);
      } else if (u < errorRate + 0.005) {
        status = 400;
        errorType = "upstream_error";
        latencyMs = logNormal(80, 0.4);
      } else if (u < errorRate + 0.008) {
        status = 499;
        errorType = "client_aborted";
      }
      const ok = status < 400;
      seq++;
      const cached = ok && r() < 0.3 ? Math.round(inputTokens * 0.5) : 0;
      return {
        v: 1,
        id: `sim-${opts.seed}-${seq}`,
        traceId: `t-${opts.seed}-${seq}`,
        tenant,
        provider: dep.provider,
        model: dep.model,
        operation: "chat",
        stream,
        startedAt: new Date(t).toISOString(),
        latencyMs: Math.round(latencyMs * 10) / 10,
        ttftMs: stream && ok ? Math.round(ttft * 10) / 10 : null,
        status,
        errorType,
        usage: {
          inputTokens: ok ? inputTokens : 0,
          outputTokens: ok ? outputTokens : 0,
          cachedInputTokens: cached,
          source: "provider",
        },
        securityFlags: [],
        securityScore: 0,
        attributes: { "gen_ai.provider.name": dep.provider, "gen_ai.request.model": dep.model },
      };
    }
  }

  return { incidents, start, end, events };
}
