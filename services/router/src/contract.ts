/** The router's contract: the OpenAI-compatible entry point; picks a deployment and calls it through the trace proxy. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
import { z } from "zod";

export const contract = defineContract({
  name: "router",
  description: "shell: /health, /ready and /metrics only (its routes are not built yet)",
  port: 8080,
  env: {
    ROUTING_STRATEGY: z.enum(["balanced", "latency", "cost", "fallback", "least-busy"]).default("balanced"),
    MAX_CONCURRENT_REQUESTS: envs.int(100, 1),
    WS_MAX_CONNECTIONS: envs.int(1000, 0),
    CACHE_ENABLED: envs.bool(false),
    /** Base URL of the trace proxy: every call goes through it. */
    TRACE_PROXY_URL: envs.url().optional(),
    /** The model catalogue (YAML or JSON); without it, one model group per trace-proxy provider. */
    ROUTER_PROVIDERS_FILE: z.string().optional(),
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
