import { readFileSync } from "node:fs";
import { z } from "zod";
import type { CommonConfig } from "./env.ts";

export { type CommonConfig, commonEnv, commonSchema, envs } from "./env.ts";

/** Thrown when the environment does not satisfy a service's schema; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Validates `env` (default process.env) against a zod object schema whose keys are env var names.
 * Empty strings count as unset. Throws ConfigError naming every bad variable.
 */
export function loadConfig<S extends z.ZodObject<any>>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== "") cleaned[k] = v;
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const key = i.path.join(".") || "(env)";
        const got = typeof i.path[0] === "string" ? cleaned[i.path[0]] : undefined;
        // Never echo values of secret-looking variables.
        const shown =
          got === undefined || /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL/i.test(key) ? "" : ` (got "${got}")`;
        return `${key}: ${i.message}${shown}`;
      }),
    );
  }
  return result.data;
}

/** Parses "key:tenant,key2:tenant2" into a map. Throws on entries without a tenant. */
export function parseKeyList(value: string | undefined, varName = "API_KEYS"): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const raw of value.split(/[,\n]/)) {
    const entry = raw.trim();
    if (!entry || entry.startsWith("#")) continue;
    const idx = entry.lastIndexOf(":");
    if (idx <= 0 || idx === entry.length - 1) throw new ConfigError([`${varName}: entry must be key:tenant`]);
    out.set(entry.slice(0, idx).trim(), entry.slice(idx + 1).trim());
  }
  return out;
}

/** Tenant keys from API_KEYS, ROUTER_API_KEYS (seed alias) and API_KEYS_FILE (JSON {key: tenant} or key:tenant lines). */
export function tenantKeysFromConfig(
  cfg: Pick<CommonConfig, "API_KEYS" | "ROUTER_API_KEYS" | "API_KEYS_FILE">,
) {
  const keys = new Map<string, string>();
  for (const [k, t] of parseKeyList(cfg.ROUTER_API_KEYS, "ROUTER_API_KEYS")) keys.set(k, t);
  for (const [k, t] of parseKeyList(cfg.API_KEYS, "API_KEYS")) keys.set(k, t);
  if (cfg.API_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(cfg.API_KEYS_FILE, "utf8");
    } catch (e) {
      throw new ConfigError([`API_KEYS_FILE: cannot read ${cfg.API_KEYS_FILE}: ${(e as Error).message}`]);
    }
    if (text.trim().startsWith("{")) {
      const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(text));
      if (!parsed.success) throw new ConfigError(["API_KEYS_FILE: expected a JSON object {key: tenant}"]);
      for (const [k, t] of Object.entries(parsed.data)) keys.set(k, t);
    } else {
      for (const [k, t] of parseKeyList(text, "API_KEYS_FILE")) keys.set(k, t);
    }
  }
  return keys;
}

export interface KafkaSsl {
  ca?: string;
  cert?: string;
  key?: string;
}

/** TLS options for kafkajs from KAFKA_SSL_*_FILE (undefined when none is set). Unreadable files: ConfigError. */
export function kafkaSslFromConfig(
  cfg: Pick<CommonConfig, "KAFKA_SSL_CA_FILE" | "KAFKA_SSL_CERT_FILE" | "KAFKA_SSL_KEY_FILE">,
): KafkaSsl | undefined {
  const files = { ca: cfg.KAFKA_SSL_CA_FILE, cert: cfg.KAFKA_SSL_CERT_FILE, key: cfg.KAFKA_SSL_KEY_FILE };
  if (!files.ca && !files.cert && !files.key) return undefined;
  const problems: string[] = [];
  if (!!files.cert !== !!files.key)
    problems.push("KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: set both or neither");
  const out: KafkaSsl = {};
  for (const [k, path] of Object.entries(files) as Array<[keyof KafkaSsl, string | undefined]>) {
    if (!path) continue;
    try {
      out[k] = readFileSync(path, "utf8");
    } catch (e) {
      problems.push(`KAFKA_SSL_${k.toUpperCase()}_FILE: cannot read ${path}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}
