import { hostname } from "node:os";
import { join } from "node:path";
import {
  createBus,
  createLogger,
  createRegistry,
  createService,
  type Database,
  type EventBus,
  KeyStore,
  kafkaSslFromConfig,
  type Logger,
  listen,
  openDatabase,
  type Registry,
  tenantKeysFromConfig,
} from "@llmops/shared";
import type { FastifyInstance } from "fastify";
import { BudgetGuard } from "./budgets.ts";
import type { TraceProxyConfig } from "./config.ts";
import { proxyMetrics } from "./metrics.ts";
import { proxyRoutes } from "./proxy.ts";
import { MemoryTraceStore, PgTraceStore, type TraceStore } from "./store.ts";
import { tracesApi } from "./traces-api.ts";
import { Upstream } from "./upstream.ts";

export interface BuildDeps {
  logger?: Logger;
  registry?: Registry;
  /** Share a bus (e.g. `npm start` runs all services on one in-process bus). Not closed by us. */
  bus?: EventBus;
  /** Share a database. Not closed by us. */
  db?: Database;
  instanceId?: string;
}

export interface TraceProxy {
  app: FastifyInstance;
  config: TraceProxyConfig;
  store: TraceStore;
  bus: EventBus;
  budgets: BudgetGuard;
  /** Starts listening (port 0 = any free port); returns the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Drains HTTP, flushes traces and the producer, closes pools and owned resources. */
  close(): Promise<void>;
}

export async function buildTraceProxy(config: TraceProxyConfig, deps: BuildDeps = {}): Promise<TraceProxy> {
  const logger = deps.logger ?? createLogger("trace-proxy", config.LOG_LEVEL);
  const registry = deps.registry ?? createRegistry("trace-proxy");
  const keys = new KeyStore(tenantKeysFromConfig(config), new Set(config.ADMIN_API_KEYS));
  if (keys.size === 0) logger.warn("no API_KEYS / ADMIN_API_KEYS configured: every request will get 401");

  let db = deps.db;
  const ownDb = !db && config.STORAGE_PROFILE !== "memory";
  if (ownDb) {
    db = await openDatabase({
      url: config.DATABASE_URL,
      dataDir: join(config.DATA_DIR, "trace-proxy", "pg"),
      logger,
    });
  }
  const store: TraceStore =
    config.STORAGE_PROFILE === "memory"
      ? new MemoryTraceStore(config.TRACE_MEMORY_MAX)
      : await new PgTraceStore(db!, logger).init();
  const bus =
    deps.bus ??
    (await createBus({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID ?? "trace-proxy",
      ssl: kafkaSslFromConfig(config),
      logger,
      registry,
      bufferMax: config.BUS_BUFFER_MAX,
      ...(db ? { db } : {}),
    }));
  const budgets = new BudgetGuard(logger);
  // Every replica must see every budget event: one consumer group per instance, under the service's
  // group prefix (KAFKA_CONSUMER_GROUP, which the Kafka ACLs allow as a prefix).
  await budgets.start(
    bus,
    config.KAFKA_CONSUMER_GROUP ?? "trace-proxy",
    deps.instanceId ?? `${hostname()}-${process.pid}-${Date.now().toString(36)}`,
  );

  const upstreams = new Map(
    config.providers.map(
      (p) => [p.name, new Upstream(p, config.MAX_CONNECTIONS, config.TIMEOUT_MS)] as const,
    ),
  );
  const app = createService({
    name: "trace-proxy",
    logger,
    registry,
    bodyLimit: config.BODY_LIMIT_BYTES,
    readiness: { storage: () => store.healthy() },
  });
  await app.register(proxyRoutes, {
    upstreams,
    defaultProvider: config.defaultProvider,
    keys,
    budgets,
    metrics: proxyMetrics(registry),
    store,
    bus,
    bodyLimit: config.BODY_LIMIT_BYTES,
    security: config.SECURITY_ANALYSIS,
    securityThreshold: config.SECURITY_THRESHOLD,
  });
  await app.register(tracesApi, { store, keys });

  let closed: Promise<void> | null = null;
  return {
    app,
    config,
    store,
    bus,
    budgets,
    listen: (port = config.PORT, host = config.HOST) => listen(app, port, host),
    close: () => {
      closed ??= (async () => {
        await app.close();
        await budgets.close();
        await store.close();
        if (!deps.bus) await bus.close();
        await Promise.all([...upstreams.values()].map((u) => u.pool.close()));
        if (ownDb) await db!.close();
      })();
      return closed;
    },
  };
}
