import { ConfigError, providerKeyVar } from "@llmops/shared";
import type { z } from "zod";
import type { contract } from "./contract.ts";

export type TraceProxyEnv = z.infer<typeof contract.env>;

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

/** The checks across variables, after the env schema: providers, their keys, the default, storage. */
export function configureTraceProxy(
  base: TraceProxyEnv,
  env: Record<string, string | undefined>,
): TraceProxyConfig {
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
