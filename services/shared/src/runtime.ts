/**
 * Runs a service definition: config from its contract's env schema, logger, metrics, Postgres (own or
 * shared), migrations, the typed bus, the HTTP server with the common endpoints, the service's own
 * routes and consumers, and a shutdown in the right order. The container entry, the migrate entry,
 * `npm start` and the tests all go through here, so a service never assembles itself.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { z } from "zod";
import { KeyStore } from "./auth.ts";
import { createBus, type EventBus, type Subscription, TypedBus } from "./bus/index.ts";
import { busMigrations } from "./bus/migrations.ts";
import { kafkaSslFromConfig, loadConfig, tenantKeysFromConfig } from "./config.ts";
import { consumerGroupId, type ServiceContract } from "./contract.ts";
import { type Database, type Migration, migrate, openDatabase } from "./db.ts";
import type { CommonConfig } from "./env.ts";
import type { BatchEventHandler, EventHandler } from "./bus/typed.ts";
import type { EventOf, TopicName } from "./events.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createRegistry, type Registry } from "./metrics.ts";
import { Periodic } from "./periodic.ts";
import { createService, listen, type ReadinessCheck } from "./server.ts";
import { createTracing, type Tracing, tracingEndpoint } from "./tracing.ts";

export type Env = Record<string, string | undefined>;
type EnvOf<C extends ServiceContract> = z.infer<C["env"]>;

/** What a service's setup gets: everything already built for it, from its contract and config. */
export interface ServiceContext<C extends ServiceContract, Cfg> {
  readonly contract: C;
  readonly config: Cfg;
  readonly logger: Logger;
  readonly registry: Registry;
  /** The server (common endpoints and error format in place); register routes as plugins on it. */
  readonly app: FastifyInstance;
  /** Client and admin keys; pass to the `authenticate` plugin. */
  readonly keys: KeyStore;
  readonly bus: TypedBus;
  /** Postgres when the service uses it (migrations applied), else undefined. */
  readonly db: Database | undefined;
  /** Spans of requests and outgoing calls (a no-op without OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly tracing: Tracing;
  /** Unique per process: names the consumer groups of per-replica consumers. */
  readonly instanceId: string;
  /** Publishes to a topic the contract says the service produces. */
  publish<T extends TopicName>(topic: T, event: EventOf<T>): Promise<void>;
  /** Consumes a topic the contract declares, in the declared consumer group. */
  consume<T extends TopicName>(topic: T, handler: EventHandler<T>): Promise<Subscription>;
  /** Like consume, in batches of up to maxBatch waiting events; the handler is idempotent on ids itself. */
  consumeBatch<T extends TopicName>(
    topic: T,
    maxBatch: number,
    handler: BatchEventHandler<T>,
  ): Promise<Subscription>;
  /**
   * Runs task every `ms` until shutdown, never overlapping itself; a failure is logged and retried on
   * the next tick. Shutdown stops every task and waits for a run in progress before any onClose.
   */
  every(name: string, ms: number, task: () => Promise<void>): Periodic;
  /** Runs at shutdown after HTTP has drained, consumers and periodic tasks stopped, in reverse order of registration. */
  onClose(name: string, close: () => Promise<void> | void): void;
  /** Adds a check to /ready. */
  readiness(name: string, check: ReadinessCheck): void;
}

export interface ServiceDefinition<
  C extends ServiceContract = ServiceContract,
  Cfg = EnvOf<C>,
  Api = unknown,
> {
  contract: C;
  /** Checks across variables and derived settings, after the env schema passed; throws ConfigError. */
  configure?(env: EnvOf<C>, raw: Env): Cfg;
  /** Whether this configuration keeps state in Postgres (default: the contract's `postgres`). */
  usesDatabase?(config: Cfg): boolean;
  /** The service's own migrations (namespace = its name); applied before it serves, and by the migrate entry. */
  migrations?: Migration[];
  /** Server options of this service (e.g. a larger body limit). */
  server?(config: Cfg): { bodyLimit?: number; fastify?: Partial<FastifyServerOptions> };
  /** Routes, consumers and background tasks; what it returns is handed to tests and embedders. */
  setup(ctx: ServiceContext<C, Cfg>): Promise<Api> | Api;
}

/** Identity for a definition whose types flow from its contract. */
export function defineService<C extends ServiceContract, Cfg = EnvOf<C>, Api = unknown>(
  def: ServiceDefinition<C, Cfg, Api>,
): ServiceDefinition<C, Cfg, Api> {
  return def;
}

export interface RunOptions {
  /** Environment to read (default process.env). */
  env?: Env;
  logger?: Logger;
  registry?: Registry;
  /** A bus shared with other services in this process (`npm start`); not closed by this service. */
  bus?: EventBus;
  /** A database shared with other services in this process; not closed by this service. */
  db?: Database;
  instanceId?: string;
  /** How long finished spans wait for their batch export (tests shorten it). */
  traceExportDelayMs?: number;
}

export interface RunningService<Cfg = unknown, Api = unknown> {
  readonly name: string;
  readonly config: Cfg;
  readonly logger: Logger;
  readonly app: FastifyInstance;
  readonly bus: TypedBus;
  readonly db: Database | undefined;
  readonly tracing: Tracing;
  /** What the definition's setup returned. */
  readonly api: Api;
  /** Base URL once listening. */
  readonly url: string;
  /** Drains HTTP, stops consumers, runs the service's closers, flushes the bus, closes what it owns. */
  close(): Promise<void>;
}

/** Validates the env against the contract, then the definition's own cross-checks. Throws ConfigError. */
export function loadServiceConfig<C extends ServiceContract, Cfg>(
  def: ServiceDefinition<C, Cfg>,
  env: Env = process.env,
): Cfg {
  const parsed = loadConfig(def.contract.env, env) as EnvOf<C>;
  return def.configure ? def.configure(parsed, env) : (parsed as Cfg);
}

/** Where a service's embedded database lives under DATA_DIR ("memory": in memory, for tests and throwaway runs). */
export const embeddedDataDir = (dataDir: string, service: string): string =>
  dataDir === "memory" ? "memory" : join(dataDir, service, "pg");

/** Applies the bus's and the service's migrations. Returns the ids applied. */
export async function migrateService(def: ServiceDefinition<any, any>, db: Database): Promise<string[]> {
  return [
    ...(await migrate(db, "bus", busMigrations)),
    ...(await migrate(db, def.contract.name, def.migrations ?? [])),
  ];
}

/** Builds, starts and listens (PORT/HOST of the config). */
export async function startService<C extends ServiceContract, Cfg, Api>(
  def: ServiceDefinition<C, Cfg, Api>,
  opts: RunOptions = {},
): Promise<RunningService<Cfg, Api>> {
  const { contract } = def;
  const config = loadServiceConfig(def, opts.env);
  const common = config as unknown as CommonConfig & { PORT: number };
  const logger = opts.logger ?? createLogger(contract.name, common.LOG_LEVEL);
  const registry = opts.registry ?? createRegistry(contract.name);
  const keys = new KeyStore(tenantKeysFromConfig(common), new Set(common.ADMIN_API_KEYS));
  if (keys.size === 0)
    logger.warn("no API_KEYS / ADMIN_API_KEYS configured: every authenticated route answers 401");

  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  const subscriptions: Subscription[] = [];
  const periodic: Periodic[] = [];
  const readiness: Record<string, ReadinessCheck> = {};
  // What this service opened itself, in opening order; closed in reverse (a shared bus or db is not ours).
  const owned: Array<{ name: string; close: () => Promise<void> }> = [];

  let db = opts.db;
  let app: FastifyInstance | undefined;
  let tracing: Tracing | undefined;
  try {
    if (!(def.usesDatabase?.(config) ?? contract.postgres)) db = undefined;
    else {
      if (!db) {
        const own = await openDatabase({
          url: common.DATABASE_URL,
          caFile: common.DATABASE_CA_FILE,
          auth: common.DATABASE_AUTH,
          dataDir: embeddedDataDir(common.DATA_DIR, contract.name),
          logger,
        });
        owned.push({ name: "database", close: () => own.close() });
        db = own;
      }
      await migrateService(def, db);
      const database = db;
      readiness.database = () => database.healthy();
    }
    let rawBus = opts.bus;
    if (!rawBus) {
      const own = await createBus({
        brokers: common.KAFKA_BROKERS,
        clientId: common.KAFKA_CLIENT_ID ?? contract.name,
        ssl: kafkaSslFromConfig(common),
        logger,
        registry,
        bufferMax: common.BUS_BUFFER_MAX,
        ...(db ? { db } : {}),
      });
      owned.push({ name: "bus", close: () => own.close() });
      rawBus = own;
    }
    const bus = new TypedBus({ bus: rawBus, logger, registry, db });
    const instanceId = opts.instanceId ?? `${hostname()}-${process.pid}-${Date.now().toString(36)}`;
    const groupPrefix = (common as { KAFKA_CONSUMER_GROUP?: string }).KAFKA_CONSUMER_GROUP ?? contract.name;

    const serverOptions = def.server?.(config) ?? {};
    app = createService({
      name: contract.name,
      logger,
      registry,
      readiness,
      ...(serverOptions.bodyLimit ? { bodyLimit: serverOptions.bodyLimit } : {}),
      ...(serverOptions.fastify ? { fastify: serverOptions.fastify } : {}),
    });

    const endpoint = tracingEndpoint(common);
    tracing = await createTracing(
      app,
      endpoint
        ? {
            endpoint,
            serviceName: common.OTEL_SERVICE_NAME ?? contract.name,
            instanceId,
            ...(opts.traceExportDelayMs !== undefined ? { exportDelayMs: opts.traceExportDelayMs } : {}),
          }
        : undefined,
    );
    if (endpoint) logger.info({ endpoint }, "exporting spans over OTLP/HTTP");
    const spans = tracing;
    const http = app;
    const consumerOf = (topic: TopicName) => {
      const decl = contract.consumes.find((c) => c.topic === topic);
      if (!decl)
        throw new Error(`${contract.name} consumes ${topic}, which its contract does not list in consumes`);
      // A per-replica group, or one whose dedupe lives in memory, never resumes a shared offset.
      const ephemeral = (decl.perReplica ?? false) || decl.dedupe === "memory";
      return { group: consumerGroupId(groupPrefix, decl, instanceId), ephemeral };
    };
    const ctx: ServiceContext<C, Cfg> = {
      contract,
      config,
      logger,
      registry,
      app: http,
      keys,
      bus,
      db,
      tracing: spans,
      instanceId,
      publish(topic, event) {
        if (!contract.produces.includes(topic))
          throw new Error(
            `${contract.name} publishes to ${topic}, which its contract does not list in produces`,
          );
        return bus.publish(topic, event);
      },
      async consume(topic, handler) {
        const sub = await bus.consume(topic, consumerOf(topic), handler);
        subscriptions.push(sub);
        return sub;
      },
      async consumeBatch(topic, maxBatch, handler) {
        const sub = await bus.consumeBatch(topic, { ...consumerOf(topic), maxBatch }, handler);
        subscriptions.push(sub);
        return sub;
      },
      every(name, ms, task) {
        const p = new Periodic(name, ms, task, logger);
        periodic.push(p);
        return p;
      },
      onClose(name, close) {
        closers.push({ name, close });
      },
      readiness(name, check) {
        readiness[name] = check;
      },
    };
    const api = await def.setup(ctx);
    const url = await listen(http, common.PORT, common.HOST);

    let closed: Promise<void> | null = null;
    return {
      name: contract.name,
      config,
      logger,
      app: http,
      bus,
      db,
      tracing: spans,
      api,
      url,
      close: () => {
        closed ??= (async () => {
          const step = async (name: string, fn: () => Promise<void> | void) => {
            try {
              await fn();
            } catch (err) {
              logger.error({ err, step: name }, "error during shutdown");
            }
          };
          // Stop taking work first, then stop reading events and background tasks, then the service's
          // own state, then flush the producer and close what this service opened (the bus may park
          // events in the db).
          await step("http", () => http.close());
          for (const s of subscriptions) await step("consumer", () => s.close());
          for (const p of periodic) await step(p.name, () => p.stop());
          for (const c of [...closers].reverse()) await step(c.name, c.close);
          for (const o of [...owned].reverse()) await step(o.name, o.close);
          // Last: the spans of everything above (the drained requests included) go out.
          await step("tracing", () => spans.shutdown());
        })();
        return closed;
      },
    };
  } catch (err) {
    // A failed start (setup threw, the port is taken) releases what it had opened.
    await app?.close().catch(() => {});
    for (const p of periodic) await p.stop().catch(() => {});
    for (const c of [...closers].reverse()) await Promise.resolve(c.close()).catch(() => {});
    for (const o of [...owned].reverse()) await o.close().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    throw err;
  }
}
