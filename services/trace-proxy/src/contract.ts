/** The trace proxy's contract: the single egress of every LLM call; forwards, streams, measures, records. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
import { z } from "zod";

/** "name=url,..." -> {name: url}; names are lower-cased (they are matched against x-llm-provider). */
const providersList = z
  .string()
  .transform((s, ctx) => {
    const out: Record<string, string> = {};
    for (const raw of s.split(",")) {
      const entry = raw.trim();
      if (!entry) continue;
      const eq = entry.indexOf("=");
      const name = entry.slice(0, eq).trim();
      const url = entry.slice(eq + 1).trim();
      if (eq <= 0 || !/^[a-z0-9][a-z0-9_.-]*$/i.test(name) || !/^https?:\/\/[^\s]+$/.test(url)) {
        ctx.addIssue({ code: "custom", message: `entry "${entry}" must be name=http(s)://url` });
        continue;
      }
      out[name.toLowerCase()] = url;
    }
    return out;
  })
  .optional()
  .transform((v) => v ?? {});

export const contract = defineContract({
  name: "trace-proxy",
  description:
    "/v1/* -> the provider in x-llm-provider (SSE streamed through), one trace per call, GET /api/v1/traces",
  port: 8081,
  env: {
    UPSTREAM_URL: envs.url().optional(),
    /** The providers, each with its key in <NAME>_API_KEY (providerKeyVar). */
    PROVIDERS: providersList,
    DEFAULT_PROVIDER: z.string().optional(),
    TIMEOUT_MS: envs.int(30_000, 1),
    MAX_CONNECTIONS: envs.int(1000, 1),
    STORAGE_PROFILE: z.enum(["lite", "memory", "production"]).default("lite"),
    SECURITY_ANALYSIS: z.enum(["on", "off", "block"]).default("on"),
    SECURITY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
    BODY_LIMIT_BYTES: envs.int(4 * 1024 * 1024, 1024),
    TRACE_MEMORY_MAX: envs.int(10_000, 1),
    /** The cost API: budget status and prices for reservations (without it, caps act on llm.budgets alone). */
    COST_API_URL: envs.url().optional(),
    /** The proxy's key at the cost API (it reads every tenant's status); default: the first ADMIN_API_KEYS. */
    COST_API_KEY: z.string().optional(),
    /** How many replicas share a tenant's remaining budget: each reserves against remaining / this. */
    BUDGET_REPLICAS: envs.int(1, 1, 1000),
    /** Output tokens reserved for a call that sets no max_tokens (its real cost replaces it at the end). */
    BUDGET_DEFAULT_MAX_TOKENS: envs.int(4096, 1),
    /** How often a calling tenant's budget status is fetched again. */
    BUDGET_REFRESH_MS: envs.int(1000, 50),
    /** How long a finished call's cost is still counted here after a newer status (covers the ingest lag). */
    BUDGET_INGEST_WINDOW_MS: envs.int(5000, 0),
    /** How often the cost API's prices are read again. */
    PRICES_REFRESH_MS: envs.int(60_000, 1000),
  },
  postgres: true,
  produces: [TOPICS.traces],
  // Every replica enforces every cap, so every replica reads every budget event.
  consumes: [{ topic: TOPICS.budgets, group: "budgets", perReplica: true }],
  calls: { "cost-api": "COST_API_URL" },
  platform: {
    llmProviders: { list: "PROVIDERS", default: "DEFAULT_PROVIDER" },
    maxReplicas: "BUDGET_REPLICAS",
  },
  cluster: {
    TIMEOUT_MS: "30000",
    MAX_CONNECTIONS: "1000",
    STORAGE_PROFILE: "production",
    SECURITY_ANALYSIS: "on",
    BUDGET_DEFAULT_MAX_TOKENS: "4096",
    BUDGET_REFRESH_MS: "1000",
    BUDGET_INGEST_WINDOW_MS: "5000",
  },
});
