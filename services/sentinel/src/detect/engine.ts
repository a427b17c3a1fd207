/**
 * The detection engine: llm.traces events in, llm.anomalies events out, synchronously and on event time
 * only (startedAt). The live consumer and the offline replay both call `ingest` with the same events in
 * the same order and therefore emit the same anomalies, ids included. No I/O, no clock.
 */
import { createHash } from "node:crypto";
import type { AnomalyEvent, TraceEvent } from "@llmops/shared/events";
import { type DetectorConfig, METRICS, type MetricConfig, type MetricName } from "./config.ts";
import { Series, type SeriesSnapshot, type Subject, type Transition } from "./series.ts";

/** Cost of one call in USD, or undefined when the catalogue has no price for it. */
export type Pricer = (call: {
  provider: string;
  model: string;
  at: number;
  usage: TraceEvent["usage"];
}) => number | undefined;

export interface EngineHooks {
  /** A detector threw or produced a non-finite score (it is skipped for that observation). */
  detectorError?(metric: string, detector: string, err: unknown): void;
  /** A valid event the engine could not use (e.g. an unparseable startedAt). */
  ingestionError?(reason: string): void;
  /** A new series was not tracked because maxSeries was reached. */
  seriesDropped?(): void;
}

export interface EngineSnapshot {
  v: 1;
  watermark: number | null;
  nextSweep: number | null;
  series: SeriesSnapshot[];
}

/** Transport failures the proxy records whatever the status it answered with. */
const UPSTREAM_FAILURES = new Set(["upstream_timeout", "upstream_unavailable", "upstream_stream_error"]);

/**
 * Failures of the provider, not of the caller: 5xx, upstream 429s, timeouts and broken streams count;
 * a caller's 4xx (even relayed from the upstream), its abort and our own budget refusals do not.
 */
export function isProviderFailure(e: TraceEvent): boolean {
  if (e.errorType === "client_aborted" || e.errorType === "budget_exceeded") return false;
  if (e.status >= 500 || e.status === 429) return true;
  return e.errorType !== null && UPSTREAM_FAILURES.has(e.errorType);
}

const SWEEP_MS = 10_000;
/** Separates the parts of a series key: a control character no name has, and one Postgres text accepts (NUL it refuses). */
const SEP = "\u001f";

/** Stable id of an emitted anomaly: the same transition of the same series always gets the same id. */
function anomalyId(key: string, t: Transition): string {
  const h = createHash("sha256").update(`${key}\u0000${t.state}\u0000${t.at}\u0000${t.seq}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function toAnomalyEvent(key: string, t: Transition): AnomalyEvent {
  const subject: AnomalyEvent["subject"] = { provider: t.subject.provider, model: t.subject.model };
  if (t.subject.tenant !== undefined) subject.tenant = t.subject.tenant;
  return {
    v: 1,
    id: anomalyId(key, t),
    detector: t.detector,
    metric: t.metric,
    subject,
    value: t.value,
    baseline: t.baseline,
    score: t.score,
    severity: t.severity,
    detectedAt: new Date(t.at).toISOString(),
    state: t.state,
  };
}

interface Entity {
  /** Series of this entity, one per enabled metric it tracks (undefined: not tracked here). */
  series: Partial<Record<MetricName, Series>>;
}

export class Engine {
  private readonly entities = new Map<string, Entity>();
  private readonly all: Series[] = [];
  private readonly modelMetrics: MetricConfig[];
  private readonly tenantMetrics: MetricConfig[];
  private watermark = Number.NEGATIVE_INFINITY;
  private nextSweep = Number.NaN;

  constructor(
    readonly config: DetectorConfig,
    private readonly opts: { pricer?: Pricer | undefined; hooks?: EngineHooks } = {},
  ) {
    const enabled = METRICS.map((m) => config.metrics[m]).filter((m) => m.enabled);
    this.modelMetrics = enabled;
    this.tenantMetrics = enabled.filter((m) => m.perTenant);
  }

  get seriesCount(): number {
    return this.all.length;
  }

  /** Every tracked series (gauges, tests). */
  series(): readonly Series[] {
    return this.all;
  }

  /** Event time the engine has reached (the newest startedAt seen). */
  get now(): number {
    return this.watermark;
  }

  ingest(e: TraceEvent): AnomalyEvent[] {
    const t = Date.parse(e.startedAt);
    if (Number.isNaN(t)) {
      this.opts.hooks?.ingestionError?.("startedAt");
      return [];
    }
    const out: AnomalyEvent[] = [];
    if (t > this.watermark) this.watermark = t;
    const model = e.model ?? "unknown";
    const base = `${e.provider}${SEP}${model}`;
    const failed = isProviderFailure(e);
    // A caller's own error says nothing about the provider: it neither counts nor ticks.
    const counts = failed || e.status < 400;
    if (counts) {
      this.feed(out, base, { provider: e.provider, model }, this.modelMetrics, e, t, failed);
      if (this.tenantMetrics.length)
        this.feed(
          out,
          `${base}${SEP}${e.tenant}`,
          { provider: e.provider, model, tenant: e.tenant },
          this.tenantMetrics,
          e,
          t,
          failed,
        );
    }
    if (Number.isNaN(this.nextSweep)) this.nextSweep = t + SWEEP_MS;
    if (this.watermark >= this.nextSweep) {
      this.nextSweep = this.watermark + SWEEP_MS;
      for (const s of this.all) this.emit(out, s, () => s.sweep(this.watermark));
    }
    return out;
  }

  private feed(
    out: AnomalyEvent[],
    key: string,
    subject: Subject,
    metrics: MetricConfig[],
    e: TraceEvent,
    t: number,
    failed: boolean,
  ): void {
    let entity = this.entities.get(key);
    if (!entity) {
      entity = { series: {} };
      this.entities.set(key, entity);
    }
    const ok = !failed;
    for (const m of metrics) {
      let s = entity.series[m.name];
      if (!s) {
        if (this.all.length >= this.config.maxSeries) {
          this.opts.hooks?.seriesDropped?.();
          continue;
        }
        s = new Series(`${key}${SEP}${m.name}`, subject, m, this.seriesHooks);
        entity.series[m.name] = s;
        this.all.push(s);
      }
      switch (m.name) {
        case "latency":
          this.emit(out, s, () => s.add(t, ok ? e.latencyMs : undefined));
          break;
        case "ttft":
          this.emit(out, s, () => s.add(t, ok && e.ttftMs !== null ? e.ttftMs : undefined));
          break;
        case "error_rate":
          this.emit(out, s, () => s.add(t, undefined, failed));
          break;
        case "tokens": {
          const tokens = e.usage.inputTokens + e.usage.outputTokens;
          this.emit(out, s, () => s.add(t, ok && tokens > 0 ? tokens : undefined));
          break;
        }
        case "cost": {
          const cost = ok ? this.price(e, subject.model, t) : undefined;
          this.emit(out, s, () => s.add(t, cost !== undefined && cost > 0 ? cost : undefined));
          break;
        }
      }
    }
  }

  private price(e: TraceEvent, model: string, at: number): number | undefined {
    if (!this.opts.pricer) return undefined;
    try {
      return this.opts.pricer({ provider: e.provider, model, at, usage: e.usage });
    } catch (err) {
      this.opts.hooks?.detectorError?.("cost", "pricer", err);
      return undefined;
    }
  }

  private readonly seriesHooks = {
    detectorError: (metric: string, detector: string, err: unknown) =>
      this.opts.hooks?.detectorError?.(metric, detector, err),
  };

  /** Runs one series step; a series that throws is counted and isolated, the others go on. */
  private emit(out: AnomalyEvent[], s: Series, step: () => Transition | null): void {
    let t: Transition | null;
    try {
      t = step();
    } catch (err) {
      this.opts.hooks?.detectorError?.(s.metric.name, "series", err);
      return;
    }
    if (t) out.push(toAnomalyEvent(s.key, t));
  }

  /** The whole state (baselines, detector state, open buckets, alert states): what a restart needs. */
  snapshot(): EngineSnapshot {
    return {
      v: 1,
      watermark: Number.isFinite(this.watermark) ? this.watermark : null,
      nextSweep: Number.isNaN(this.nextSweep) ? null : this.nextSweep,
      series: this.all.map((s) => s.snapshot()),
    };
  }

  /** Restores a snapshot into an empty engine; series whose metric is no longer enabled are skipped. */
  restore(snap: EngineSnapshot): number {
    this.watermark = snap.watermark ?? Number.NEGATIVE_INFINITY;
    this.nextSweep = snap.nextSweep ?? Number.NaN;
    let restored = 0;
    for (const s of snap.series) if (this.restoreSeries(s)) restored++;
    return restored;
  }

  /** Restores one series (also used when snapshots are stored one row per series). */
  restoreSeries(s: SeriesSnapshot): boolean {
    const metric = this.config.metrics[s.metric as MetricName];
    if (!metric?.enabled) return false;
    const tenant = s.subject.tenant !== undefined;
    if (tenant && !metric.perTenant) return false;
    const entityKey = s.key.slice(0, s.key.lastIndexOf(SEP));
    let entity = this.entities.get(entityKey);
    if (!entity) {
      entity = { series: {} };
      this.entities.set(entityKey, entity);
    }
    if (entity.series[metric.name]) return false;
    const series = new Series(s.key, s.subject, metric, this.seriesHooks);
    series.restore(s);
    entity.series[metric.name] = series;
    this.all.push(series);
    return true;
  }
}
