/**
 * The sentinel's own panels and alerts: detection throughput and latency, anomalies, errors by kind,
 * alert deliveries, baselines. Metric names come from the service's metric-names module.
 */
import { SENTINEL_METRIC_NAMES as M } from "../../../services/sentinel/src/metric-names.ts";
import type { Panel } from "./dashboard.ts";
import type { Rule } from "./rules.ts";

export const sentinelPanels = (job: string): Panel[] => [
  {
    title: "Events processed / anomalies detected",
    unit: "ops",
    targets: [
      { expr: `sum(rate(${M.events}{${job}}[5m]))`, legend: "events/s" },
      { expr: `sum(rate(${M.anomalies}{${job}}[5m]))`, legend: "anomalies/s" },
    ],
  },
  {
    title: "Detection latency p95",
    unit: "s",
    targets: [
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(${M.detectionLatency}_bucket{${job}}[5m])))`,
        legend: "p95",
      },
    ],
  },
  {
    title: "Anomalies by metric and state",
    unit: "short",
    targets: [
      {
        expr: `sum by (metric, state) (increase(${M.anomalies}{${job}}[1h]))`,
        legend: "{{metric}} {{state}}",
      },
    ],
  },
  {
    title: "Series tracked / firing",
    unit: "short",
    targets: [{ expr: `max by (state) (${M.series}{${job}})`, legend: "{{state}}" }],
  },
  {
    title: "Errors: ingestion, detection, storage",
    unit: "ops",
    targets: [
      { expr: `sum(rate(${M.ingestionErrors}{${job}}[5m]))`, legend: "ingestion" },
      { expr: `sum(rate(${M.detectionErrors}{${job}}[5m]))`, legend: "detection" },
      { expr: `sum(rate(${M.storageErrors}{${job}}[5m]))`, legend: "storage" },
    ],
  },
  {
    title: "Alert deliveries by sink and result",
    unit: "ops",
    targets: [
      {
        expr: `sum by (sink, result) (rate(${M.deliveries}{${job}}[5m]))`,
        legend: "{{sink}} {{result}}",
      },
    ],
  },
  {
    title: "Baseline latency by provider/model (ms)",
    unit: "ms",
    targets: [
      {
        expr: `max by (provider, model) (${M.baselineValue}{${job}, metric="latency"})`,
        legend: "{{provider}}/{{model}}",
      },
    ],
  },
];

export const sentinelAlerts = (job: string, labels: (severity: string) => Record<string, string>): Rule[] => [
  {
    alert: "SentinelAlertDeliveryFailing",
    // A delivery is "failed" only after its last retry: anomalies are not reaching Alertmanager or the
    // webhook, so the pages they should raise are silent. The anomalies are still on llm.anomalies.
    expr: `sum by (sink) (increase(${M.deliveries}{${job}, result="failed"}[15m])) > 0`,
    for: "5m",
    labels: labels("critical"),
    annotations: {
      summary: "The sentinel cannot deliver alerts to {{ $labels.sink }}",
      description:
        "Alert deliveries to {{ $labels.sink }} failed after every retry in the last 15 minutes: anomalies are detected but nobody is told. Check the sink's URL, credentials and the sentinel's egress.",
    },
  },
];
