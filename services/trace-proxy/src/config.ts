import { ConfigError, commonEnv, envs, loadConfig } from "@llmops/shared";
import { z } from "zod";

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

export const traceProxyEnv = z.object({
  ...commonEnv,
  PORT: envs.port(8081),
  UPSTREAM_URL: envs.url().optional(),
  PROVIDERS: providersList,
  DEFAULT_PROVIDER: z.string().optional(),
  TIMEOUT_MS: envs.int(30_000, 1),
  MAX_CONNECTIONS: envs.int(1000, 1),
  STORAGE_PROFILE: z.enum(["lite", "memory", "production"]).default("lite"),
  SECURITY_ANALYSIS: z.enum(["on", "off", "block"]).default("on"),
  SECURITY_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  BODY_LIMIT_BYTES: envs.int(4 * 1024 * 1024, 1024),
  TRACE_MEMORY_MAX: envs.int(10_000, 1),
});

export type TraceProxyEnv = z.infer<typeof traceProxyEnv>;

export interface ProviderConfig {
  name: string;
  url: string;
  /** From <NAME>_API_KEY (or UPSTREAM_API_KEY for UPSTREAM_URL). Never logged, never stored. */
  apiKey?: string | undefined;
}

export interface TraceProxyConfig extends TraceProxyEnv {
  providers: ProviderConfig[];
  defaultProvider: string;
}

export const providerKeyVar = (name: string) => `${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_API_KEY`;

/** Reads and validates the proxy's env; one ConfigError lists every problem. */
export function loadTraceProxyConfig(
  env: Record<string, string | undefined> = process.env,
): TraceProxyConfig {
  const base = loadConfig(traceProxyEnv, env);
  const providers: ProviderConfig[] = Object.entries(base.PROVIDERS).map(([name, url]) => ({
    name,
    url,
    apiKey: env[providerKeyVar(name)] || undefined,
  }));
  if (base.UPSTREAM_URL && !providers.some((p) => p.name === "default")) {
    providers.push({ name: "default", url: base.UPSTREAM_URL, apiKey: env.UPSTREAM_API_KEY || undefined });
  }
  const problems: string[] = [];
  if (providers.length === 0) problems.push("UPSTREAM_URL or PROVIDERS: at least one upstream is required");
  const defaultProvider = (
    base.DEFAULT_PROVIDER ??
    (base.UPSTREAM_URL ? "default" : providers[0]?.name) ??
    ""
  ).toLowerCase();
  if (providers.length && !providers.some((p) => p.name === defaultProvider)) {
    problems.push(`DEFAULT_PROVIDER: "${defaultProvider}" is not in PROVIDERS`);
  }
  if (base.STORAGE_PROFILE === "production" && !base.DATABASE_URL) {
    problems.push("DATABASE_URL: required when STORAGE_PROFILE=production");
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...base, providers, defaultProvider };
}
