/**
 * The stack's configuration: read once, validated against one schema, passed down typed.
 *
 * Nothing below infra/index.ts reads pulumi.Config: components receive the slices they need.
 * Validation collects every problem before failing so an operator fixes a stack file in one pass.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import {
  grafanaSsoFields,
  type PlatformSettings,
  platformFields,
  platformSettings,
} from "./config-platform.ts";

export const PROJECT = "llmops";

const CLOUDS = ["aws", "gcp", "azure"] as const;
export type Cloud = (typeof CLOUDS)[number];
export type Environment = "dev" | "prod";

/** Region naming differs per cloud; a wrong-cloud region is the most common copy-paste mistake. */
const REGION_FORMAT: Record<Cloud, { pattern: RegExp; example: string }> = {
  aws: { pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, example: "us-east-1" },
  gcp: { pattern: /^[a-z]+-[a-z]+\d$/, example: "us-central1" },
  azure: { pattern: /^[a-z]+[a-z0-9]*$/, example: "eastus2" },
};

const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    "a lowercase DNS name such as llm.example.com",
  );
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, "an IPv4 CIDR such as 203.0.113.0/24");
const httpsUrl = z.url({ protocol: /^https$/, error: "an https:// URL" });
const apiKey = z.string().regex(/^[^\s:,]{16,}$/, "at least 16 characters without spaces, ':' or ','");
const dnsLabel = z
  .string()
  .regex(/^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/, "a lowercase DNS label such as openai");

const nodePool = z.strictObject({
  name: dnsLabel,
  /** A size class, mapped to each cloud's machine type so the same stack plans on every cloud. */
  size: z.enum(["small", "medium", "large", "xlarge"]),
  minNodes: z.int().min(0).max(100),
  maxNodes: z.int().min(1).max(1000),
  /** system pools carry the platform (operators, Prometheus, Kafka); workload pools the services. */
  role: z.enum(["system", "workload"]).default("workload"),
  spot: z.boolean().default(false),
});

const llmProvider = z.strictObject({
  name: dnsLabel,
  baseUrl: httpsUrl,
  apiKey: z.string().min(1, "the provider's API key (set it as a secret)"),
  models: z.array(z.string().min(1)).default([]),
});

const alerting = z.strictObject({
  slackWebhookUrl: httpsUrl.optional(),
  slackChannel: z
    .string()
    .regex(/^#[\w-]+$/, "a Slack channel such as #llmops-alerts")
    .optional(),
  pagerdutyRoutingKey: z.string().min(1).optional(),
  /** Where the sentinel posts each anomaly (its generic webhook), signed with anomalyWebhookSecret. */
  anomalyWebhookUrl: httpsUrl.optional(),
  /** HMAC-SHA256 key of the anomaly webhook's signature (the receiver checks it). */
  anomalyWebhookSecret: z.string().min(32, "at least 32 characters").optional(),
});

const postgres = z.strictObject({
  /** Major version; the services' migrations are tested against 16. */
  version: z.enum(["16", "17"]).default("16"),
  storageGb: z.int().min(20).max(16384).optional(),
  backupRetentionDays: z.int().min(7, "at least 7 days of backups").max(35).optional(),
});

const gcpSettings = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "a GCP project id such as acme-llmops-prod"),
  region: z.string().optional(),
});

const azureSettings = z.strictObject({
  region: z.string().optional(),
  /** Entra ID group object ids granted cluster-admin through Azure RBAC. */
  adminGroupObjectIds: z.array(z.uuid()).default([]),
});

const awsSettings = z.strictObject({
  region: z.string().optional(),
  /** IAM role ARNs granted cluster-admin through EKS access entries. */
  adminRoleArns: z
    .array(z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN"))
    .default([]),
});

/** Keys that carry secrets; they must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = [
  "llmProviders",
  "alerting",
  "clientApiKeys",
  "adminApiKeys",
  "grafanaSso",
] as const;

const fields = z.strictObject({
  cloud: z.enum(CLOUDS),
  environment: z.enum(["dev", "prod"]),
  region: z.string().min(1),
  domain: hostname,
  kubernetesVersion: z
    .string()
    .regex(/^1\.(3[0-9]|[4-9]\d)$/, "a minor version such as 1.34 (1.30 or newer)"),
  nodePools: z.array(nodePool).min(1).optional(),
  imageRegistry: z
    .string()
    .regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$/, "a registry path such as ghcr.io/acme/llmops"),
  imageTag: z
    .string()
    .regex(/^(sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/, "an image tag or sha256 digest")
    .refine((t) => t !== "latest", "a pinned tag or digest, never 'latest'"),
  /** Per-service digests from the image pipeline: a service listed here runs registry/name:tag@digest. */
  imageDigests: z.record(dnsLabel, z.string().regex(/^sha256:[a-f0-9]{64}$/, "a sha256: digest")).default({}),
  llmProviders: z
    .array(llmProvider)
    .min(1, "at least one LLM provider")
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, "provider names must be unique"),
  alerting: alerting.default({}),
  acmeEmail: z.email("an e-mail address for Let's Encrypt"),
  /**
   * Set once the parent zone delegates `domain` to the stack's zone (its NS records list the
   * dnsZone.nameServers output). Until then the public certificate comes from Let's Encrypt staging
   * in every environment: DNS-01 cannot pass on an undelegated zone, and failed validations against
   * Let's Encrypt production count towards its rate limits.
   */
  dnsDelegated: z.boolean().default(false),
  apiAllowedCidrs: z.array(cidr).default([]),
  vpcCidr: cidr.default("10.40.0.0/16"),
  /** Client keys of the router and trace proxy, each mapped to its tenant. */
  clientApiKeys: z.array(z.strictObject({ tenant: dnsLabel, key: apiKey })).default([]),
  /** Keys for the admin APIs (budgets, prices, all-tenant reads). */
  adminApiKeys: z.array(apiKey).default([]),
  postgres: postgres.default({ version: "16" }),
  aws: awsSettings.default({ adminRoleArns: [] }),
  gcp: gcpSettings.optional(),
  azure: azureSettings.default({ adminGroupObjectIds: [] }),
  tags: z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/), z.string().max(63)).default({}),
  /** Optional platform pieces (WAF, VPA, backups); defaults per environment in config-platform.ts. */
  platform: platformFields.default({ waf: {}, vpa: {}, backups: {}, tracing: {} }),
  grafanaSso: grafanaSsoFields.optional(),
});

const schema = fields.superRefine((c, ctx) => {
  const region = c[c.cloud]?.region ?? c.region;
  const format = REGION_FORMAT[c.cloud];
  if (!format.pattern.test(region)) {
    ctx.addIssue({
      code: "custom",
      path: c[c.cloud]?.region ? [c.cloud, "region"] : ["region"],
      message: `'${region}' is not a ${c.cloud} region: expected e.g. ${format.example} (set ${c.cloud}.region to override region per cloud)`,
    });
  }
  if (c.cloud === "gcp" && !c.gcp) {
    ctx.addIssue({ code: "custom", path: ["gcp", "project"], message: "required when cloud is gcp" });
  }
  if (c.environment === "prod" && !c.alerting.slackWebhookUrl && !c.alerting.pagerdutyRoutingKey) {
    ctx.addIssue({
      code: "custom",
      path: ["alerting"],
      message: "prod needs a receiver: slackWebhookUrl and/or pagerdutyRoutingKey",
    });
  }
  if (!c.alerting.anomalyWebhookUrl !== !c.alerting.anomalyWebhookSecret) {
    ctx.addIssue({
      code: "custom",
      path: ["alerting", c.alerting.anomalyWebhookUrl ? "anomalyWebhookSecret" : "anomalyWebhookUrl"],
      message: "anomalyWebhookUrl and anomalyWebhookSecret go together: the sentinel signs every delivery",
    });
  }
  for (const [i, pool] of (c.nodePools ?? []).entries()) {
    if (pool.maxNodes < pool.minNodes) {
      ctx.addIssue({ code: "custom", path: ["nodePools", i, "maxNodes"], message: "must be >= minNodes" });
    }
  }
  // The services are pinned to workload nodes (and controllers to system nodes when there are any).
  if (c.nodePools && !c.nodePools.some((p) => p.role === "workload")) {
    ctx.addIssue({
      code: "custom",
      path: ["nodePools"],
      message: 'needs at least one pool with role "workload": the services run only there',
    });
  }
});

type Parsed = z.infer<typeof schema>;
export type NodePool = z.infer<typeof nodePool>;
export type PostgresSettings = z.infer<typeof postgres>;

/** Secret-bearing fields are Outputs so they stay encrypted in state and redacted in previews. */
export interface LlmProvider {
  name: string;
  baseUrl: string;
  models: string[];
  apiKey: pulumi.Output<string>;
}

export interface AlertingConfig {
  slackChannel?: string;
  slackWebhookUrl?: pulumi.Output<string>;
  pagerdutyRoutingKey?: pulumi.Output<string>;
  /** The sentinel's signed anomaly webhook (the URL may carry a token, so both are secrets). */
  anomalyWebhook?: { url: pulumi.Output<string>; secret: pulumi.Output<string> };
}

export interface StackConfig extends Omit<
  Parsed,
  | "llmProviders"
  | "alerting"
  | "clientApiKeys"
  | "adminApiKeys"
  | "nodePools"
  | "region"
  | "platform"
  | "grafanaSso"
> {
  project: string;
  stack: string;
  /** The region of the chosen cloud, after the per-cloud override. */
  region: string;
  nodePools: NodePool[];
  llmProviders: LlmProvider[];
  alerting: AlertingConfig;
  clientApiKeys: { tenant: string; key: pulumi.Output<string> }[];
  adminApiKeys: pulumi.Output<string>[];
  /** Tags/labels every cloud resource carries (project, environment, stack, plus config tags). */
  commonTags: Record<string, string>;
  /** The optional platform pieces with the environment's defaults applied. */
  platform: PlatformSettings;
  grafanaSso?: GrafanaSso;
}

export interface GrafanaSso {
  authUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  clientId: string;
  clientSecret: pulumi.Output<string>;
  name: string;
  adminGroups: string[];
  editorGroups: string[];
  groupsClaim: string;
}

/** Thrown with every problem in one message; callers print it without a stack trace. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

/** Node pools used when a stack does not list its own: dev is small and cheap, prod is HA. */
export function defaultNodePools(environment: Environment): NodePool[] {
  return environment === "prod"
    ? [
        { name: "system", size: "large", minNodes: 3, maxNodes: 6, role: "system", spot: false },
        { name: "workload", size: "large", minNodes: 3, maxNodes: 20, role: "workload", spot: false },
      ]
    : [{ name: "general", size: "medium", minNodes: 1, maxNodes: 3, role: "workload", spot: true }];
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const key = issue.path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `'${k}'`).join(", ");
    return `${key ? `${key}: ` : ""}unknown key${issue.keys.length > 1 ? "s" : ""} ${keys}`;
  }
  const expected =
    issue.code === "invalid_value" && "values" in issue
      ? `one of ${issue.values.map((v) => String(v)).join(" | ")}`
      : issue.code === "invalid_type"
        ? `a ${issue.expected}`
        : issue.message;
  const top = issue.path[0];
  if (issue.path.length === 1 && typeof top === "string" && !(top in raw))
    return `${key}: required (${expected})`;
  return `${key}: ${issue.code === "invalid_value" ? `expected ${expected}` : issue.message}`;
}

/**
 * Validates raw config (keys without the project prefix, values already JSON-decoded)
 * and returns the typed config. `secretKeys` are the keys Pulumi holds as secrets.
 */
export function parseStackConfig(
  raw: Record<string, unknown>,
  context: { project: string; stack: string; secretKeys: ReadonlySet<string> },
): StackConfig {
  const result = schema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map((i) => describeIssue(i, raw));
  for (const key of SECRET_KEYS) {
    if (key in raw && !context.secretKeys.has(key) && containsSecretValue(key, raw[key])) {
      problems.push(
        `${key}: holds secret values; set it with \`pulumi config set --secret\` (or --path with --secret)`,
      );
    }
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const c = result.data;
  const region = c[c.cloud]?.region ?? c.region;
  return {
    ...c,
    project: context.project,
    stack: context.stack,
    region,
    nodePools: c.nodePools ?? defaultNodePools(c.environment),
    llmProviders: c.llmProviders.map((p) => ({ ...p, apiKey: pulumi.secret(p.apiKey) })),
    alerting: {
      slackChannel: c.alerting.slackChannel,
      slackWebhookUrl: c.alerting.slackWebhookUrl ? pulumi.secret(c.alerting.slackWebhookUrl) : undefined,
      pagerdutyRoutingKey: c.alerting.pagerdutyRoutingKey
        ? pulumi.secret(c.alerting.pagerdutyRoutingKey)
        : undefined,
      anomalyWebhook:
        c.alerting.anomalyWebhookUrl && c.alerting.anomalyWebhookSecret
          ? {
              url: pulumi.secret(c.alerting.anomalyWebhookUrl),
              secret: pulumi.secret(c.alerting.anomalyWebhookSecret),
            }
          : undefined,
    },
    clientApiKeys: c.clientApiKeys.map((k) => ({ tenant: k.tenant, key: pulumi.secret(k.key) })),
    adminApiKeys: c.adminApiKeys.map((k) => pulumi.secret(k)),
    commonTags: { ...c.tags, project: context.project, environment: c.environment, stack: context.stack },
    platform: platformSettings(c.environment, c.platform),
    grafanaSso: c.grafanaSso
      ? { ...c.grafanaSso, clientSecret: pulumi.secret(c.grafanaSso.clientSecret) }
      : undefined,
  };
}

/** Whether a secret-bearing key's value actually includes a secret field (alerting may hold only a channel). */
function containsSecretValue(key: (typeof SECRET_KEYS)[number], value: unknown): boolean {
  if (key === "clientApiKeys" || key === "adminApiKeys") return Array.isArray(value) && value.length > 0;
  if (key === "grafanaSso")
    return (value as { clientSecret?: unknown } | undefined)?.clientSecret !== undefined;
  if (key === "alerting") {
    const a = (value ?? {}) as Record<string, unknown>;
    return ["slackWebhookUrl", "pagerdutyRoutingKey", "anomalyWebhookUrl", "anomalyWebhookSecret"].some(
      (k) => a[k] !== undefined,
    );
  }
  return value !== undefined;
}

/** The keys this project accepts, for tooling that validates `-c key=value` before running. */
export const CONFIG_KEYS: readonly string[] = Object.keys(fields.shape);

/** Reads the project's namespace from the running Pulumi program's config, once. */
export function loadStackConfig(): StackConfig {
  const project = pulumi.getProject();
  const prefix = `${project}:`;
  const raw: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    raw[key] = decode(value);
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return parseStackConfig(raw, { project, stack: pulumi.getStack(), secretKeys });
}

// The SDK exports isConfigSecret at runtime but leaves it out of its type declarations.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/**
 * Pulumi hands structured values over as JSON text. Scalars stay strings: a version such as
 * "1.30" must not turn into the number 1.3.
 */
export function decode(value: string): unknown {
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[") || t === "true" || t === "false") {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}
