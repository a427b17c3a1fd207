/**
 * A service's contract: plain data that the runtime, `npm start`, the image build and the infra all
 * read, so that a service's port, env, topics and dependencies are stated once, in its own folder.
 * Nothing here imports runtime code (zod only): the Pulumi program loads contracts without fastify.
 */
import { z } from "zod";
import { commonEnv, envs } from "./env.ts";
import type { TopicName } from "./events.ts";

type CommonShape = typeof commonEnv;
type PortShape = { PORT: ReturnType<typeof envs.port> };
export type ContractEnv<E extends z.ZodRawShape> = z.ZodObject<CommonShape & PortShape & E>;

/** Names of the env vars a contract's schema knows. */
type EnvName<E extends z.ZodRawShape> = Extract<keyof (CommonShape & PortShape & E), string>;

export interface ConsumerDecl {
  topic: TopicName;
  /** Suffix of the consumer group: <KAFKA_CONSUMER_GROUP or name>-<group>. */
  group: string;
  /**
   * Every replica reads every event (a group per instance), e.g. state every replica must hold.
   * Without it the replicas share the events (one group for the service).
   */
  perReplica?: boolean;
  /**
   * Where redeliveries are remembered: "database" (default with Postgres: survives restarts) or
   * "memory", for a consumer whose own state is not saved per event, so that after a restart it must
   * see again what it saw since its last save.
   */
  dedupe?: "database" | "memory";
}

/**
 * What the service needs from the stack it is deployed into, as the env vars that carry it. The infra
 * fills each from the stack config; `npm start` fills the local equivalents.
 */
export interface PlatformInputs<N extends string> {
  /** The LLM providers as "name=https://base-url,..." (and the provider's API key in PROVIDER_KEY_VAR). */
  llmProviders?: { list: N; default?: N };
  /** Path of the model catalogue file the infra renders (provider names and their models). */
  modelCatalogue?: N;
  /** Base URL of the cluster's Alertmanager (v2 API). */
  alertmanagerUrl?: N;
  /** The stack's signed anomaly webhook (alerting.anomalyWebhookUrl/Secret), delivered as secrets. */
  anomalyWebhook?: { url: N; secret: N };
  /** The most replicas the autoscaler may run (for state shared out per replica, e.g. a budget). */
  maxReplicas?: N;
}

export interface ContractInput<E extends z.ZodRawShape> {
  name: string;
  /** One line: what the service does (printed by `npm start`, used in image labels). */
  description: string;
  /** Local port (npm start, a bare `node`); in a cluster every service listens on PORT=8080. */
  port: number;
  /** The service's own env vars; the common ones (commonEnv) and PORT are added. */
  env: E;
  /** Keeps state in Postgres (DATABASE_URL, or embedded PGlite): migrations run before rollout. */
  postgres?: boolean;
  produces?: readonly TopicName[];
  consumes?: readonly ConsumerDecl[];
  /** Services this one calls over HTTP, each with the env var that carries that service's base URL. */
  calls?: Readonly<Record<string, EnvName<E>>>;
  platform?: PlatformInputs<EnvName<E>>;
  /** Non-secret settings the service runs with in a cluster (strings, as env vars are). */
  cluster?: Readonly<Partial<Record<EnvName<E>, string>>>;
}

export interface ServiceContract<E extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly description: string;
  readonly port: number;
  readonly env: ContractEnv<E>;
  readonly postgres: boolean;
  readonly produces: readonly TopicName[];
  readonly consumes: readonly ConsumerDecl[];
  readonly calls: Readonly<Record<string, string>>;
  readonly platform: PlatformInputs<string>;
  readonly cluster: Readonly<Record<string, string>>;
  /**
   * Scripts inside the service image: main (the container command); for Postgres users migrate (the
   * init container) and roles (the admin Job that provisions every service's Postgres role).
   */
  readonly scripts: { readonly main: string; readonly migrate?: string; readonly roles?: string };
}

/** Where the image keeps the bundled entry scripts (dist/<entry>.mjs). */
export const IMAGE_SCRIPT = (entry: "main" | "migrate" | "roles") => `dist/${entry}.mjs`;

/** A Postgres role name: a lower-case SQL identifier (no quoting surprises in SQL, logs or URLs). */
export const POSTGRES_ROLE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A service's own Postgres role, which is also the name of the schema it owns: cost-api -> cost_api.
 * Every Postgres user connects as its role in a cluster (the admin Job provisions them: roles.ts).
 */
export const postgresRole = (service: string): string => service.replace(/-/g, "_");

/**
 * The metrics exporter's login: LOGIN and pg_monitor (statistics and settings views), CONNECT on the
 * database, no schema and no table. Provisioned by the admin Job beside the services' roles.
 */
export const POSTGRES_MONITOR_ROLE = "llmops_monitor";

/** The admin Job's input: one folder per service under POSTGRES_ROLES_DIR, its DATABASE_URL in this file. */
export const POSTGRES_ROLE_URL_FILE = "url";

/**
 * With POSTGRES_ROLES_AUTH=azure-entra, beside `url` in a service's folder: the object (principal) id
 * of the service's managed identity, which its Entra principal in Postgres is created for.
 */
export const POSTGRES_ROLE_OBJECT_ID_FILE = "object-id";

/**
 * The admin Job's variable saying how the SERVICES log in (DATABASE_AUTH_MODES, default password);
 * the Job's own login is DATABASE_AUTH, as for any service.
 */
export const POSTGRES_ROLES_AUTH_ENV = "POSTGRES_ROLES_AUTH";

/**
 * A Cloud SQL IAM user name: the service account's email without ".gserviceaccount.com"
 * (cost-api@my-project.iam). With gcp-iam it is a service's role; its schema stays postgresRole().
 */
export const GCP_IAM_ROLE = /^(?=.{1,63}$)[a-z][a-z0-9-]*@[a-z][a-z0-9.-]*\.iam$/;

/** The Cloud SQL IAM user of a Google service account (a role name matching GCP_IAM_ROLE). */
export const cloudSqlIamUser = (serviceAccountEmail: string): string =>
  serviceAccountEmail.replace(/\.gserviceaccount\.com$/, "");

/** The env var a provider's API key is read from: openai -> OPENAI_API_KEY, azure-eu -> AZURE_EU_API_KEY. */
export const providerKeyVar = (provider: string): `${string}_API_KEY` =>
  `${provider.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_API_KEY`;

/**
 * A consumer's group id: <prefix>-<group>, plus the instance for per-replica consumers. The prefix is
 * KAFKA_CONSUMER_GROUP (the service's name by default), which the service's Kafka ACLs allow.
 */
export const consumerGroupId = (prefix: string, decl: ConsumerDecl, instanceId?: string) =>
  decl.perReplica ? `${prefix}-${decl.group}-${instanceId ?? "<instance>"}` : `${prefix}-${decl.group}`;

/** The env var `npm start` reads a service's local port from: trace-proxy -> TRACE_PROXY_PORT. */
export const localPortVar = (service: string) => `${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_PORT`;

const NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/**
 * Declares a service. Mistakes in a contract are programming errors found at import (by every test that
 * loads the list), so they throw rather than return problems.
 */
export function defineContract<E extends z.ZodRawShape>(input: ContractInput<E>): ServiceContract<E> {
  const env = z.object({ ...commonEnv, PORT: envs.port(input.port), ...input.env }) as ContractEnv<E>;
  const known = new Set(Object.keys(env.shape));
  const problems: string[] = [];
  if (!NAME.test(input.name)) problems.push(`name "${input.name}" must be a DNS label (a-z, 0-9, -)`);
  else if (input.postgres && !POSTGRES_ROLE.test(postgresRole(input.name)))
    problems.push(`name "${input.name}" gives no valid Postgres role (${postgresRole(input.name)})`);
  const check = (where: string, key: string | undefined) => {
    if (key !== undefined && !known.has(key)) problems.push(`${where}: ${key} is not in the env schema`);
  };
  for (const [service, key] of Object.entries(input.calls ?? {})) check(`calls.${service}`, key);
  for (const [input_, key] of Object.entries(input.platform ?? {})) {
    if (typeof key === "string") check(`platform.${input_}`, key);
    else for (const [k, v] of Object.entries(key ?? {})) check(`platform.${input_}.${k}`, v as string);
  }
  for (const [key, value] of Object.entries(input.cluster ?? {})) {
    check("cluster", key);
    const field = env.shape[key] as z.ZodType | undefined;
    const parsed = field?.safeParse(value);
    if (parsed && !parsed.success)
      problems.push(`cluster.${key}: "${value}" ${parsed.error.issues[0]?.message}`);
  }
  const groups = new Set<string>();
  for (const c of input.consumes ?? []) {
    if (groups.has(c.group)) problems.push(`consumes: group "${c.group}" is declared twice`);
    groups.add(c.group);
  }
  if (problems.length) throw new Error(`contract of ${input.name}: ${problems.join("; ")}`);
  const postgres = input.postgres ?? false;
  return {
    name: input.name,
    description: input.description,
    port: input.port,
    env,
    postgres,
    produces: input.produces ?? [],
    consumes: input.consumes ?? [],
    calls: input.calls ?? {},
    platform: input.platform ?? {},
    cluster: (input.cluster ?? {}) as Record<string, string>,
    scripts: {
      main: IMAGE_SCRIPT("main"),
      ...(postgres ? { migrate: IMAGE_SCRIPT("migrate"), roles: IMAGE_SCRIPT("roles") } : {}),
    },
  };
}

/** The services a set of contracts runs, callees before their callers (npm start's order). */
export function startOrder<C extends ServiceContract>(contracts: readonly C[]): C[] {
  const byName = new Map(contracts.map((c) => [c.name, c]));
  const out: C[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (c: C, path: string[]) => {
    if (state.get(c.name) === "done") return;
    if (state.get(c.name) === "visiting")
      throw new Error(`services call each other in a cycle: ${[...path, c.name].join(" -> ")}`);
    state.set(c.name, "visiting");
    for (const callee of Object.keys(c.calls)) {
      const dep = byName.get(callee);
      if (!dep) throw new Error(`${c.name} calls "${callee}", which is not in the list of services`);
      visit(dep, [...path, c.name]);
    }
    state.set(c.name, "done");
    out.push(c);
  };
  for (const c of contracts) visit(c, []);
  return out;
}

export {
  type CommonEnvName,
  DATABASE_AUTH_ENV,
  DATABASE_AUTH_MODES,
  type DatabaseAuth,
  type DatabaseTokenAuth,
  envs,
} from "./env.ts";
export { TOPICS, type TopicName } from "./events.ts";
