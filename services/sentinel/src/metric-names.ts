/**
 * The sentinel's metric names (the deployment guide's, plus the baselines), as plain data: the service
 * registers them (metrics.ts) and the apps layer's dashboard and alert rules query them.
 */
export const SENTINEL_METRIC_NAMES = {
  events: "sentinel_events_processed_total",
  /** By metric, severity and state. */
  anomalies: "sentinel_anomalies_detected_total",
  /** Histogram: per event, from its hand-over to the consumer to its anomalies published. */
  detectionLatency: "sentinel_detection_latency_seconds",
  ingestionErrors: "sentinel_ingestion_errors_total",
  detectionErrors: "sentinel_detection_errors_total",
  storageErrors: "sentinel_storage_errors_total",
  /** By sink (alertmanager, webhook) and result (delivered, retried, failed). */
  deliveries: "sentinel_alert_deliveries_total",
  seriesDropped: "sentinel_series_dropped_total",
  /** Gauge by state (tracked, firing). */
  series: "sentinel_series",
  baselineValue: "sentinel_baseline_value",
  baselineSamples: "sentinel_baseline_samples",
} as const;
