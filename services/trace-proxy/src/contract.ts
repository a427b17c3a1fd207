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
  },
  postgres: true,
  produces: [TOPICS.traces],
  // Every replica enforces every cap, so every replica reads every budget event.
  consumes: [{ topic: TOPICS.budgets, group: "budgets", perReplica: true }],
  platform: { llmProviders: { list: "PROVIDERS", default: "DEFAULT_PROVIDER" } },
  cluster: {
    TIMEOUT_MS: "30000",
    MAX_CONNECTIONS: "1000",
    STORAGE_PROFILE: "production",
    SECURITY_ANALYSIS: "on",
  },
});
