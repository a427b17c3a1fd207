import { Counter, Gauge, Histogram, type Registry } from "@llmops/shared";

const MAX_MODELS = 200;

/** Proxy metrics. Duration, TTFT and token names follow the OpenTelemetry GenAI metric conventions. */
export function proxyMetrics(registry: Registry) {
  const registers = [registry];
  const models = new Set<string>();
  const modelLabel = (m: string | null) => {
    const v = (m ?? "unknown").slice(0, 80);
    if (models.has(v)) return v;
    if (models.size >= MAX_MODELS) return "other"; // clients choose model names: cap cardinality
    models.add(v);
    return v;
  };
  return {
    modelLabel,
    requests: new Counter({
      name: "trace_proxy_requests_total",
      help: "Proxied LLM calls by provider, model, HTTP status and streaming",
      labelNames: ["provider", "model", "status", "stream"],
      registers,
    }),
    errors: new Counter({
      name: "trace_proxy_errors_total",
      help: "Failed calls by error type (upstream_timeout, upstream_unavailable, client_aborted, budget_exceeded, ...)",
      labelNames: ["provider", "type"],
      registers,
    }),
    duration: new Histogram({
      name: "gen_ai_client_operation_duration_seconds",
      help: "End-to-end duration of proxied GenAI operations",
      labelNames: ["provider", "model", "operation"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    ttft: new Histogram({
      name: "gen_ai_server_time_to_first_token_seconds",
      help: "Time to the first streamed token",
      labelNames: ["provider", "model"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    tokens: new Counter({
      name: "gen_ai_client_token_usage_total",
      help: "Tokens by type (input, output, cached_input)",
      labelNames: ["provider", "model", "type"],
      registers,
    }),
    inFlight: new Gauge({ name: "trace_proxy_in_flight_requests", help: "Calls in progress", registers }),
    securityFlags: new Counter({
      name: "trace_proxy_security_flags_total",
      help: "Prompt-injection rules matched",
      labelNames: ["rule"],
      registers,
    }),
    traces: new Counter({
      name: "trace_proxy_traces_total",
      help: "Trace events recorded, by outcome of the bus publish",
      labelNames: ["result"],
      registers,
    }),
  };
}

export type ProxyMetrics = ReturnType<typeof proxyMetrics>;
