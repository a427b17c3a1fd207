/**
 * The env schema building blocks and the variables every service understands. Plain data (zod only):
 * service contracts and the infra read these without loading any runtime code.
 */
import { z } from "zod";

const TRUE = new Set(["1", "true", "on", "yes"]);
const FALSE = new Set(["0", "false", "off", "no"]);

/**
 * How a service logs in to Postgres (db-auth.ts): `password`, the one in DATABASE_URL; or, with no
 * password in the URL, a short-lived token of the pod's cloud workload identity: `gcp-iam` (Cloud SQL
 * IAM), `aws-iam` (RDS IAM), `azure-entra` (Flexible Server with Microsoft Entra authentication).
 */
export const DATABASE_AUTH_MODES = ["password", "gcp-iam", "aws-iam", "azure-entra"] as const;
export type DatabaseAuth = (typeof DATABASE_AUTH_MODES)[number];
/** The modes that log in with a workload identity's short-lived token instead of a password. */
export type DatabaseTokenAuth = Exclude<DatabaseAuth, "password">;
/** The variable a client's own login mode is read from (services, their migrations, the roles Job). */
export const DATABASE_AUTH_ENV = "DATABASE_AUTH" satisfies keyof typeof commonEnv;

/** Schema building blocks for env vars. */
export const envs = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(def),
  bool: (def: boolean) =>
    z
      .string()
      .refine((s) => TRUE.has(s.toLowerCase()) || FALSE.has(s.toLowerCase()), "expected true|false")
      .transform((s) => TRUE.has(s.toLowerCase()))
      .optional()
      .transform((v) => v ?? def),
  list: () =>
    z
      .string()
      .transform((s) =>
        s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .optional()
      .transform((v) => v ?? []),
  url: () => z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }),
};

/** Env vars every service understands (docs/architecture.md, "Services"). */
export const commonEnv = {
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  KAFKA_BROKERS: envs.list(),
  KAFKA_CLIENT_ID: z.string().optional(),
  /** Base name of this service's consumer groups (Kafka ACLs allow groups with this prefix). */
  KAFKA_CONSUMER_GROUP: z.string().optional(),
  /** mTLS to Kafka (e.g. a Strimzi TLS listener): PEM files of the cluster CA and the client certificate. */
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
    .optional(),
  /** PEM bundle the Postgres server certificate must chain to (a managed database's CA); see db.ts. */
  DATABASE_CA_FILE: z.string().optional(),
  /** How DATABASE_URL's user logs in (DATABASE_AUTH_MODES); token modes require DATABASE_CA_FILE. */
  DATABASE_AUTH: z.enum(DATABASE_AUTH_MODES).default("password"),
  /** The AWS region of the RDS server: aws-iam signs its tokens for it. */
  AWS_REGION: z.string().optional(),
  DATA_DIR: z.string().default(".data"),
  API_KEYS: z.string().optional(),
  ROUTER_API_KEYS: z.string().optional(),
  API_KEYS_FILE: z.string().optional(),
  ADMIN_API_KEYS: envs.list(),
  SHUTDOWN_TIMEOUT_MS: envs.int(10_000, 0),
  /**
   * OTLP/HTTP base URL of an OpenTelemetry collector (spans go to <url>/v1/traces). Unset: no
   * tracing at all (the default, `npm start`); the cluster sets it when platform.tracing is on.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.union([z.literal(""), envs.url()]).optional(),
  /** service.name of the spans (default: the service's name). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  BUS_BUFFER_MAX: envs.int(10_000, 1),
};

export const commonSchema = z.object(commonEnv);
export type CommonConfig = z.infer<typeof commonSchema>;

/** The name of a variable every service reads (infra code that sets one is checked against this). */
export type CommonEnvName = Extract<keyof typeof commonEnv, string> | "PORT";
