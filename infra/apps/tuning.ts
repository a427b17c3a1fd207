/**
 * How this platform runs each service: sizes, autoscaling, the public route, SLOs and mesh limits.
 * These are deployment choices, not facts about the service (those are its contract in services/), so
 * they live here; a service without an entry runs with the defaults (one small replica per environment
 * floor, CPU/memory autoscaling, internal only).
 */
import type { Environment } from "../config.ts";
import { HTTP_SLI } from "./observability/metrics.ts";
import type { ServiceProfile, Sizing } from "./profile.ts";
import { DEFAULT_SIZING, SIZING } from "./sizing.ts";

export type Tuning = Pick<
  ServiceProfile,
  | "component"
  | "autoscaling"
  | "route"
  | "slo"
  | "sli"
  | "shutdownSeconds"
  | "connectionPool"
  | "sessionAffinityQueryParam"
  | "errorCounters"
> & { sizing: Record<Environment, Sizing> };

const DEFAULTS: Omit<Tuning, "sizing"> = {
  component: "service",
  autoscaling: { kind: "cpu-memory", cpuPercent: 70, memoryPercent: 80 },
  slo: { availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } },
  sli: HTTP_SLI,
  // Fastify drains in-flight requests and the Kafka producer flushes well within 20 s.
  shutdownSeconds: 20,
  connectionPool: { maxConnections: 1000, maxPendingRequests: 256 },
};

const TUNING: Record<string, Partial<Omit<Tuning, "sizing">>> = {
  router: {
    component: "gateway",
    route: {
      subdomain: "api",
      paths: ["/v1"],
      requestTimeoutSeconds: 300,
      websocket: { path: "/ws", timeoutSeconds: 3600 },
    },
    sessionAffinityQueryParam: "session",
    // Open WebSocket sessions get time to finish their current completion.
    shutdownSeconds: 30,
    connectionPool: { maxConnections: 4000, maxPendingRequests: 1000 },
    slo: { availability: 0.999, latency: { thresholdSeconds: 10, objective: 0.95 } },
  },
  "trace-proxy": {
    component: "proxy",
    route: { subdomain: "proxy", paths: ["/v1", "/api/v1"], requestTimeoutSeconds: 300 },
    shutdownSeconds: 30,
    connectionPool: { maxConnections: 2000, maxPendingRequests: 1000 },
    slo: { availability: 0.999, latency: { thresholdSeconds: 10, objective: 0.95 } },
    // The proxy measures each LLM call (OpenTelemetry GenAI names) rather than generic HTTP.
    sli: {
      requests: "trace_proxy_requests_total",
      statusLabel: "status",
      duration: "gen_ai_client_operation_duration_seconds",
    },
  },
  "cost-api": {
    component: "api",
    autoscaling: { kind: "kafka-lag", lagPerReplica: 500, cpuPercent: 70 },
  },
  sentinel: {
    component: "detector",
    autoscaling: { kind: "kafka-lag", lagPerReplica: 1000, cpuPercent: 70 },
    // Seed 000's SentinelHighErrorRate: ingestion/detection/storage errors above 10/s.
    errorCounters: { metricRegex: "sentinel_[a-z_]+_errors_total", perSecond: 10 },
  },
};

export function tuningOf(service: string): Tuning {
  return { ...DEFAULTS, ...TUNING[service], sizing: SIZING[service] ?? DEFAULT_SIZING };
}
