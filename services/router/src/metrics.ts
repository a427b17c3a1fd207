import { Counter, Gauge, Histogram, type Registry } from "@llmops/shared";
import type { Balancer } from "./balancer.ts";
import type { AnswerCache } from "./cache.ts";
import type { Catalogue, Deployment } from "./catalogue.ts";
import type { ConcurrencyGate } from "./limits.ts";

/**
 * Router metrics: what was asked (by model group and strategy), where it went (decisions, attempts,
 * retries, failovers), how deployments stand (breaker state), and the router's own limits (queue,
 * rate limits, cache, WebSocket connections). Gauges that mirror state are read when scraped.
 */
export function routerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: "router_requests_total",
      help: "Chat completions by model group, the provider that answered, strategy, status and streaming",
      labelNames: ["model", "provider", "strategy", "status", "stream"],
      registers,
    }),
    duration: new Histogram({
      name: "router_request_duration_seconds",
      help: "Time to the answer (non-stream) or to the end of the stream, by model group",
      labelNames: ["model", "stream"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    decisions: new Counter({
      name: "router_routing_decisions_total",
      help: "The deployment each call tried first, by model group, provider and strategy",
      labelNames: ["model", "provider", "strategy"],
      registers,
    }),
    attempts: new Counter({
      name: "router_attempts_total",
      help: "Attempts at a deployment by outcome (HTTP status, ok, error, stream_cut, deadline, caller_left)",
      labelNames: ["model", "provider", "outcome"],
      registers,
    }),
    retries: new Counter({
      name: "router_retries_total",
      help: "Attempts repeated at the same deployment after a retryable failure",
      labelNames: ["model", "provider"],
      registers,
    }),
    failovers: new Counter({
      name: "router_failovers_total",
      help: "Attempts moved to another deployment or a fallback group",
      labelNames: ["model"],
      registers,
    }),
    breakerState: new Gauge({
      name: "router_breaker_state",
      help: "Circuit breaker per deployment: 0 closed, 1 half-open, 2 open",
      labelNames: ["model", "provider", "deployment"],
      registers,
    }),
    effectiveWeight: new Gauge({
      name: "router_deployment_effective_weight",
      help: "Weight balanced routing gives a deployment now (configured weight x anomaly penalty; 0 when open)",
      labelNames: ["model", "provider", "deployment"],
      registers,
    }),
    anomalies: new Counter({
      name: "router_anomalies_applied_total",
      help: "llm.anomalies events taken in, by state (firing, resolved, ignored)",
      labelNames: ["state"],
      registers,
    }),
    rejected: new Counter({
      name: "router_rejected_total",
      help: "Calls refused by the router's own limits (queue_full, queue_timeout, tenant_rpm_tpm, deployments_at_limit)",
      labelNames: ["reason"],
      registers,
    }),
    queueDepth: new Gauge({ name: "router_queue_depth", help: "Calls waiting for a slot", registers }),
    inFlight: new Gauge({ name: "router_in_flight", help: "Calls holding a slot", registers }),
    queueWait: new Histogram({
      name: "router_queue_wait_seconds",
      help: "Time calls waited for a slot (MAX_CONCURRENT_REQUESTS)",
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    cache: new Counter({
      name: "router_cache_requests_total",
      help: "Cache lookups by result (hit, miss, bypass)",
      labelNames: ["result"],
      registers,
    }),
    cacheBytes: new Gauge({ name: "router_cache_bytes", help: "Bytes held by the answer cache", registers }),
    wsConnections: new Gauge({
      name: "router_ws_connections",
      help: "Open WebSocket connections",
      registers,
    }),
    wsRejected: new Counter({
      name: "router_ws_rejected_total",
      help: "WebSocket upgrades or messages refused, by reason",
      labelNames: ["reason"],
      registers,
    }),
  };
}

export type RouterMetrics = ReturnType<typeof routerMetrics>;

/** Points the gauges that mirror state at what they mirror; they are read when scraped. */
export function observeState(
  metrics: RouterMetrics,
  state: {
    catalogue: Catalogue;
    balancer: Balancer;
    gate: ConcurrencyGate;
    cache: AnswerCache | null;
  },
): void {
  const { catalogue, balancer, gate, cache } = state;
  const collect = (gauge: Gauge, read: (g: Gauge) => void) =>
    Object.assign(gauge, { collect: () => read(gauge) });
  collect(metrics.queueDepth, (g) => g.set(gate.queued));
  collect(metrics.inFlight, (g) => g.set(gate.active));
  collect(metrics.cacheBytes, (g) => g.set(cache?.bytes ?? 0));
  const perDeployment = (read: (d: Deployment) => number) => (g: Gauge) => {
    for (const group of catalogue.groups.values())
      for (const d of group.deployments)
        g.set({ model: group.name, provider: d.provider, deployment: d.model }, read(d));
  };
  const STATE = { closed: 0, "half-open": 1, open: 2 } as const;
  collect(
    metrics.breakerState,
    perDeployment((d) => STATE[balancer.of(d).breaker.tick()]),
  );
  collect(
    metrics.effectiveWeight,
    perDeployment((d) => balancer.effectiveWeight(d)),
  );
}
