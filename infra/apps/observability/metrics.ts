/**
 * The metric names the rules and dashboards query. HTTP metrics follow seed 003's names
 * (http_requests_total, http_request_duration_seconds); consumer lag comes from Strimzi's Kafka
 * Exporter. One place to change if a service renames a metric.
 */
export const METRICS = {
  consumerLag: "kafka_consumergroup_lag",
  up: "up",
  cpu: "container_cpu_usage_seconds_total",
  memory: "container_memory_working_set_bytes",
} as const;

/**
 * Default SLIs: seed 003's HTTP metrics. The histogram's bucket bounds must include the service's
 * latency SLO threshold (prom-client's defaults do: 0.5, 1, 2.5, 5, 10).
 */
export const HTTP_SLI = {
  requests: "http_requests_total",
  statusLabel: "status_code",
  duration: "http_request_duration_seconds",
} as const;

/** Selector of one service's series: the ServiceMonitor's job label is the Service name. */
export function jobSelector(namespace: string, service: string): string {
  return `job="${service}", namespace="${namespace}"`;
}

/** "cost-api" -> "CostApi": alert names read as one word per service (SentinelDown). */
export function pascal(service: string): string {
  return service
    .split(/[^A-Za-z0-9]/)
    .filter(Boolean)
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join("");
}
