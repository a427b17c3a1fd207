/**
 * The model catalogue (ROUTER_PROVIDERS_FILE, YAML or JSON): public model groups, each a list of
 * deployments (a trace-proxy provider and the model id it expects), with weights, priorities, limits,
 * context windows, fallback groups and aliases. Read once at start; every problem is named by file,
 * group and field in one ConfigError.
 */
import { ConfigError } from "@llmops/shared";
import { readConfigFile } from "@llmops/shared/config-file";
import { z } from "zod";

export const STRATEGIES = ["balanced", "latency", "cost", "fallback", "least-busy"] as const;
export type Strategy = (typeof STRATEGIES)[number];

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, "letters, digits and . _ : / - only");
const positive = z.number().int().positive();

const deploymentSchema = z.strictObject({
  provider: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, "a trace-proxy provider name"),
  model: z.string().min(1),
  /** balanced: share of traffic; 0 = only as a fallback (never "falsy becomes 1"). */
  weight: z.number().min(0).default(1),
  /** fallback: lower first. */
  priority: z.number().int().min(0).default(0),
  rpm: positive.optional(),
  tpm: positive.optional(),
  contextWindow: positive.optional(),
});

const groupSchema = z.strictObject({
  name,
  strategy: z.enum(STRATEGIES).optional(),
  deployments: z.array(deploymentSchema).min(1, "a group needs at least one deployment"),
  fallbacks: z.array(name).default([]),
});

const fileSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default("balanced"),
  models: z.array(groupSchema).min(1, "at least one model group"),
  aliases: z.record(name, name).default({}),
});

export type Deployment = z.infer<typeof deploymentSchema> & {
  /** Stable id: <group>/<provider>/<model> (metrics, GET /api/v1/providers). */
  id: string;
  group: string;
};
export interface ModelGroup {
  name: string;
  strategy: Strategy;
  deployments: Deployment[];
  fallbacks: string[];
}
export interface Catalogue {
  groups: Map<string, ModelGroup>;
  aliases: Map<string, string>;
  /** The group a requested model name means (alias resolved), or undefined. */
  resolve(model: string): ModelGroup | undefined;
}

/** "models[0].deployments[1].weight" -> 'group "gpt-4o" deployment 2 (openai): weight'. */
function where(raw: any, path: PropertyKey[]): string {
  if (path[0] !== "models" || typeof path[1] !== "number") return path.join(".") || "(file)";
  const group = raw?.models?.[path[1]];
  const label = typeof group?.name === "string" ? `group "${group.name}"` : `models[${path[1]}]`;
  if (path[2] === "deployments" && typeof path[3] === "number") {
    const d = group?.deployments?.[path[3]];
    const rest = path.slice(4).join(".");
    return `${label} deployment ${path[3] + 1}${typeof d?.provider === "string" ? ` (${d.provider})` : ""}${rest ? `: ${rest}` : ""}`;
  }
  const rest = path.slice(2).join(".");
  return rest ? `${label}: ${rest}` : label;
}

/** Parses and checks a catalogue; `strategyOverride` is ROUTING_STRATEGY (the default of every group without its own). */
export function parseCatalogue(raw: unknown, file: string, strategyOverride?: Strategy): Catalogue {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${where(raw, i.path)}: ${i.message}`));
  }
  const data = parsed.data;
  const problems: string[] = [];
  const groups = new Map<string, ModelGroup>();
  for (const g of data.models) {
    if (groups.has(g.name)) problems.push(`${file}: group "${g.name}" is declared twice`);
    const seen = new Set<string>();
    const deployments = g.deployments.map((d, i) => {
      const id = `${g.name}/${d.provider}/${d.model}`;
      if (seen.has(id))
        problems.push(
          `${file}: group "${g.name}" deployment ${i + 1}: ${d.provider}/${d.model} is listed twice`,
        );
      seen.add(id);
      return { ...d, id, group: g.name };
    });
    if (
      deployments.every((d) => d.weight === 0) &&
      (g.strategy ?? strategyOverride ?? data.strategy) === "balanced"
    )
      problems.push(
        `${file}: group "${g.name}": every deployment has weight 0, so balanced routing has nothing to send to`,
      );
    groups.set(g.name, {
      name: g.name,
      strategy: g.strategy ?? strategyOverride ?? data.strategy,
      deployments,
      fallbacks: g.fallbacks,
    });
  }
  for (const g of groups.values())
    for (const f of g.fallbacks) {
      if (f === g.name) problems.push(`${file}: group "${g.name}": fallbacks: lists itself`);
      else if (!groups.has(f)) problems.push(`${file}: group "${g.name}": fallbacks: no group "${f}"`);
    }
  const aliases = new Map(Object.entries(data.aliases));
  for (const [alias, target] of aliases) {
    if (groups.has(alias)) problems.push(`${file}: aliases.${alias}: is also a group name`);
    if (!groups.has(target)) problems.push(`${file}: aliases.${alias}: no group "${target}"`);
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    groups,
    aliases,
    resolve: (model) => groups.get(model) ?? groups.get(aliases.get(model) ?? ""),
  };
}

export function loadCatalogue(file: string, strategyOverride?: Strategy): Catalogue {
  return parseCatalogue(readConfigFile(file, "ROUTER_PROVIDERS_FILE"), file, strategyOverride);
}
