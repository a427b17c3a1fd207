import { Counter, Gauge, Histogram, type Registry } from "@llmops/shared";
import type { Engine } from "./detect/engine.ts";
import type { Series } from "./detect/series.ts";
import { SENTINEL_METRIC_NAMES as M } from "./metric-names.ts";

/** Baseline gauges name at most this many series (provider/model level only): label cardinality stays bounded. */
const MAX_GAUGE_SERIES = 500;

/**
 * The sentinel's metrics: the seed's names (sentinel_events_processed_total, ..._errors_total,
 * sentinel_detection_latency_seconds) plus the baselines as gauges.
 */
export function sentinelMetrics(registry: Registry, opts: { engine: () => Engine; consumerGroup: string }) {
  const registers = [registry];
  const ingestion = new Map<string, number>();
  /** A gauge over the provider/model series' baselines (tenant series left out), read at scrape time. */
  const baselineGauge = (
    name: string,
    help: string,
    value: (b: NonNullable<ReturnType<Series["baselineView"]>>) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["provider", "model", "metric"],
      registers,
      collect() {
        this.reset();
        let n = 0;
        for (const s of opts.engine().series()) {
          if (s.subject.tenant !== undefined) continue;
          const b = s.baselineView();
          if (!b || n++ >= MAX_GAUGE_SERIES) continue;
          this.set({ provider: s.subject.provider, model: s.subject.model, metric: s.metric.name }, value(b));
        }
      },
    });
  const metrics = {
    events: new Counter({
      name: M.events,
      help: "llm.traces events run through the detectors",
      registers,
    }),
    anomalies: new Counter({
      name: M.anomalies,
      help: "llm.anomalies events emitted, by metric, severity and state (firing, resolved)",
      labelNames: ["metric", "severity", "state"],
      registers,
    }),
    latency: new Histogram({
      name: M.detectionLatency,
      help: "Per event: from its hand-over to the consumer to its anomalies (if any) published",
      buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    }),
    ingestionErrors: new Counter({
      name: M.ingestionErrors,
      help: "Events not processed: malformed or schema-invalid (dead-lettered by the bus) or unusable",
      labelNames: ["reason"],
      registers,
      // Dead letters are counted by the bus under its own name; read them here so one series says it all.
      async collect() {
        this.reset();
        for (const [reason, n] of ingestion) this.inc({ reason }, n);
        const dead = registry.getSingleMetric("bus_events_dead_lettered_total");
        if (dead) {
          for (const v of (await dead.get()).values)
            if (v.labels.group === opts.consumerGroup && v.value > 0)
              this.inc({ reason: String(v.labels.reason ?? "invalid") }, v.value);
        }
      },
    }),
    detectionErrors: new Counter({
      name: M.detectionErrors,
      help: "Detector failures (isolated: the other detectors still vote), by metric and detector",
      labelNames: ["metric", "detector"],
      registers,
    }),
    storageErrors: new Counter({
      name: M.storageErrors,
      help: "Postgres writes or reads that failed (retried), by operation",
      labelNames: ["op"],
      registers,
    }),
    deliveries: new Counter({
      name: M.deliveries,
      help: "Alert deliveries by sink and result (delivered, retried, failed)",
      labelNames: ["sink", "result"],
      registers,
    }),
    seriesDropped: new Counter({
      name: M.seriesDropped,
      help: "New series not tracked because maxSeries was reached",
      registers,
    }),
    series: new Gauge({
      name: M.series,
      help: "Series tracked, and how many are firing",
      labelNames: ["state"],
      registers,
      collect() {
        const all = opts.engine().series();
        const firing = all.filter((s) => s.isFiring).length;
        this.set({ state: "tracked" }, all.length);
        this.set({ state: "firing" }, firing);
      },
    }),
    baselineCenter: baselineGauge(
      M.baselineValue,
      "Baseline centre of a provider/model series, in the metric's unit (ms, fraction, tokens, USD)",
      (b) => b.center,
    ),
    baselineSamples: baselineGauge(
      M.baselineSamples,
      "Observations in the baseline window of a provider/model series (alerting starts at minSamples)",
      (b) => b.samples,
    ),
    ingestionError(reason: string) {
      ingestion.set(reason, (ingestion.get(reason) ?? 0) + 1);
    },
  };
  return metrics;
}

export type SentinelMetrics = ReturnType<typeof sentinelMetrics>;
