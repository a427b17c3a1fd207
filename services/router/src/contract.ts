/** The router's contract: the OpenAI-compatible entry point; picks a deployment and calls it through the trace proxy. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
import { z } from "zod";

export const contract = defineContract({
  name: "router",
  description: "OpenAI-compatible entry: POST /v1/chat/completions, GET /v1/models, GET /api/v1/providers",
  port: 8080,
  env: {
    /** Overrides the catalogue's default strategy (a group's own strategy still wins). */
    ROUTING_STRATEGY: z.enum(["balanced", "latency", "cost", "fallback", "least-busy"]).optional(),
    MAX_CONCURRENT_REQUESTS: envs.int(100, 1),
    /** Calls that may wait for a slot when MAX_CONCURRENT_REQUESTS are running; beyond it, 429. */
    QUEUE_MAX: envs.int(100, 0),
    /** How long a queued call waits for a slot before it gets 429. */
    QUEUE_TIMEOUT_MS: envs.int(10_000, 0),
    /** Requests and tokens per minute per tenant: "tenant:rpm:tpm,..."; "*" for every other tenant. */
    TENANT_LIMITS: z.string().default(""),
    /** 0 turns WebSocket off. */
    WS_MAX_CONNECTIONS: envs.int(1000, 0),
    WS_MAX_IN_FLIGHT: envs.int(4, 1),
    WS_PING_INTERVAL_MS: envs.int(30_000, 100),
    WS_IDLE_TIMEOUT_MS: envs.int(300_000, 100),
    CACHE_ENABLED: envs.bool(false),
    CACHE_MAX_BYTES: envs.int(64 * 1024 * 1024, 1024),
    CACHE_TTL_MS: envs.int(300_000, 1),
    /** Base URL of the trace proxy: every call goes through it. */
    TRACE_PROXY_URL: envs.url(),
    /** The router's key at the trace proxy (an admin key there, so it may name the tenant); default: the first ADMIN_API_KEYS. */
    TRACE_PROXY_API_KEY: z.string().optional(),
    /** The cost API (its prices rank deployments for the cost strategy); needed only when a group uses it. */
    COST_API_URL: envs.url().optional(),
    /** The router's key at the cost API; default: the first ADMIN_API_KEYS. */
    COST_API_KEY: z.string().optional(),
    /** How often the cost strategy re-reads the cost API's prices. */
    PRICES_REFRESH_MS: envs.int(60_000, 1_000),
    /** The model catalogue (YAML or JSON). */
    ROUTER_PROVIDERS_FILE: z.string(),
    /** One deadline per call across every attempt. */
    REQUEST_TIMEOUT_MS: envs.int(120_000, 1),
    /** One attempt's wait for the response headers (and between two stream chunks). */
    ATTEMPT_TIMEOUT_MS: envs.int(30_000, 1),
    /** Further attempts at the same deployment after a retryable failure, before the next one. */
    RETRIES: envs.int(1, 0, 10),
    RETRY_BACKOFF_MS: envs.int(100, 0),
    RETRY_BACKOFF_MAX_MS: envs.int(2_000, 0),
    /** How long an open circuit breaker waits when the deployment did not say (Retry-After). */
    COOLDOWN_MS: envs.int(5_000, 0),
    BREAKER_WINDOW_MS: envs.int(30_000, 100),
    BREAKER_MIN_REQUESTS: envs.int(5, 1),
    /** Failure percentage over the window that opens the breaker. */
    BREAKER_FAILURE_PERCENT: envs.int(50, 1, 100),
    /** A firing anomaly without a resolve stops steering this long after it was detected. */
    ANOMALY_TTL_MS: envs.int(900_000, 1_000),
    /** How long a recovered deployment takes to get its full share back. */
    ANOMALY_RECOVERY_MS: envs.int(60_000, 0),
  },
  // Every replica steers by the same anomalies, so each reads the whole topic.
  consumes: [{ topic: TOPICS.anomalies, group: "anomalies", perReplica: true }],
  calls: { "trace-proxy": "TRACE_PROXY_URL", "cost-api": "COST_API_URL" },
  platform: { modelCatalogue: "ROUTER_PROVIDERS_FILE" },
  cluster: {
    ROUTING_STRATEGY: "balanced",
    MAX_CONCURRENT_REQUESTS: "100",
    WS_MAX_CONNECTIONS: "1000",
    CACHE_ENABLED: "true",
  },
});
