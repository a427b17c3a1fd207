/**
 * The deployment program's stack configuration: read once, validated against one schema, every
 * problem reported by key in one error (the same contract as the platform's infra/config.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

const uuid = z.uuid("a UUID");
/** Pulumi schedules take durations as XhYmZs. */
const duration = z.string().regex(/^(\d+h)?(\d+m)?(\d+s)?$/, "a duration such as 1h0m0s");

const awsOidc = z.strictObject({
  roleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN"),
  sessionName: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/, "an STS session name")
    .default("pulumi-deployments"),
  duration: duration.default("1h0m0s"),
});

const gcpOidc = z.strictObject({
  /** The numeric project number: Pulumi's OIDC exchange and ESC's gcp-login both take the number. */
  projectNumber: z.string().regex(/^\d{6,20}$/, "the numeric GCP project number"),
  workloadPoolId: z.string().regex(/^[a-z0-9-]{4,32}$/, "a workload identity pool id"),
  providerId: z.string().regex(/^[a-z0-9-]{4,32}$/, "a workload identity pool provider id"),
  serviceAccount: z.email("a service account e-mail"),
  tokenLifetime: duration.default("1h0m0s"),
});

const azureOidc = z.strictObject({ clientId: uuid, tenantId: uuid, subscriptionId: uuid });

/** One federated identity per cloud; a stack uses the one of the cloud its stack file names. */
const oidcPerCloud = z.strictObject({
  aws: awsOidc.optional(),
  gcp: gcpOidc.optional(),
  azure: azureOidc.optional(),
});

const fields = z.strictObject({
  organization: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "a Pulumi organization name"),
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "a GitHub repository as owner/name"),
  branch: z
    .string()
    .regex(/^[\w./-]+$/, "a branch name")
    .default("main"),
  /** The Pulumi team whose members administer Pulumi Cloud; the settings workflow gets its token. */
  adminTeam: z
    .string()
    .regex(/^[\w.-]{1,64}$/, "a Pulumi team name")
    .default("platform-admins"),
  devDeployCommits: z.boolean().default(false),
  reviewStackTtlHours: z.int().min(1).max(720).default(72),
  driftCron: z
    .string()
    .regex(/^(\S+\s+){4}\S+$/, "a five-field cron expression")
    .default("0 */6 * * *"),
  driftAutoRemediate: z.boolean().default(false),
  /** Identities per environment (prod never shares dev's); review stacks are dev-environment stacks. */
  oidc: z.strictObject({ dev: oidcPerCloud, prod: oidcPerCloud }),
  notifications: z
    .strictObject({
      url: z.url({ protocol: /^https$/, error: "an https:// URL" }),
      format: z.enum(["raw", "slack", "ms_teams"]).default("raw"),
    })
    .optional(),
});

export type DeploymentConfig = z.infer<typeof fields>;
/** The keys this program accepts (for documentation checks and tooling). */
export const CONFIG_KEYS: readonly string[] = Object.keys(fields.shape);
export type Cloud = keyof z.infer<typeof oidcPerCloud>;
export type OidcPerCloud = z.infer<typeof oidcPerCloud>;

/** Keys whose values must be stored with `pulumi config set --secret`. */
const SECRET_KEYS = ["notifications"] as const;

/** Every problem, by key, in one message. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid deployment configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

function keyOf(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function describe(issue: z.core.$ZodIssue, raw: Record<string, unknown>): string {
  const key = keyOf(issue.path);
  if (issue.code === "unrecognized_keys")
    return `${key ? `${key}: ` : ""}unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
  const top = issue.path[0];
  if (issue.code === "invalid_type" && typeof top === "string" && !(top in raw) && issue.path.length === 1)
    return `${key}: required`;
  if (issue.code === "invalid_value" && "values" in issue)
    return `${key}: expected one of ${issue.values.map(String).join(" | ")}`;
  if (issue.code === "invalid_type") return `${key}: expected a ${issue.expected}`;
  return `${key}: ${issue.message}`;
}

/** Validates raw config (keys without the project prefix, values JSON-decoded). */
export function parseDeploymentConfig(
  raw: Record<string, unknown>,
  secretKeys: ReadonlySet<string>,
): DeploymentConfig {
  const result = fields.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map((i) => describe(i, raw));
  for (const key of SECRET_KEYS)
    if (key in raw && !secretKeys.has(key))
      problems.push(
        `${key}: holds a secret (the webhook URL); set it with \`pulumi config set --secret --path\``,
      );
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

// The SDK exports isConfigSecret at runtime but leaves it out of its type declarations.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/** Reads this project's namespace of the running program's config, once. */
export function loadDeploymentConfig(): DeploymentConfig {
  const prefix = `${pulumi.getProject()}:`;
  const raw: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    raw[key] = decode(value);
    if (isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return parseDeploymentConfig(raw, secretKeys);
}

/** The engine passes structured values and booleans/integers as JSON text; other strings stay as given. */
function decode(value: string): unknown {
  const t = value.trim();
  if (/^[[{]/.test(t) || t === "true" || t === "false" || /^-?\d+$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}
