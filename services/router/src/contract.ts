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
    WS_MAX_CONNECTIONS: envs.int(1000, 0),
    CACHE_ENABLED: envs.bool(false),
    /** Base URL of the trace proxy: every call goes through it. */
    TRACE_PROXY_URL: envs.url(),
    /** The router's key at the trace proxy (an admin key there, so it may name the tenant); default: the first ADMIN_API_KEYS. */
    TRACE_PROXY_API_KEY: z.string().optional(),
    /** The model catalogue (YAML or JSON). */
    ROUTER_PROVIDERS_FILE: z.string(),
    /** One deadline per call across every attempt. */
    REQUEST_TIMEOUT_MS: envs.int(120_000, 1),
    /** How long a failed deployment cools down when it did not say (Retry-After). */
    COOLDOWN_MS: envs.int(5_000, 0),
  },
  // Every replica steers by the same anomalies, so each reads the whole topic.
  consumes: [{ topic: TOPICS.anomalies, group: "anomalies", perReplica: true }],
  calls: { "trace-proxy": "TRACE_PROXY_URL" },
  platform: { modelCatalogue: "ROUTER_PROVIDERS_FILE" },
  cluster: {
    ROUTING_STRATEGY: "balanced",
    MAX_CONCURRENT_REQUESTS: "100",
    WS_MAX_CONNECTIONS: "1000",
    CACHE_ENABLED: "true",
  },
});
