/**
 * The trace proxy as a service definition: the runtime (services/shared) builds config, logger, metrics,
 * Postgres, the bus and the server from the contract; this adds the store, the budget consumer, the
 * upstream pools and the routes.
 */
import { defineService, TOPICS } from "@llmops/shared";
import { BudgetGuard } from "./budgets.ts";
import { configureTraceProxy } from "./config.ts";
import { contract } from "./contract.ts";
import { proxyMetrics } from "./metrics.ts";
import { proxyRoutes } from "./proxy.ts";
import { TraceRecorder } from "./recorder.ts";
import { MemoryTraceStore, PgTraceStore, type TraceStore, traceMigrations } from "./store.ts";
import { tracesApi } from "./traces-api.ts";
import { Upstream } from "./upstream.ts";

export default defineService({
  contract,
  configure: configureTraceProxy,
  usesDatabase: (config) => config.STORAGE_PROFILE !== "memory",
  migrations: traceMigrations,
  server: (config) => ({ bodyLimit: config.BODY_LIMIT_BYTES }),
  async setup(ctx) {
    const { config, app } = ctx;
    const store: TraceStore = ctx.db
      ? new PgTraceStore(ctx.db, ctx.logger)
      : new MemoryTraceStore(config.TRACE_MEMORY_MAX);
    ctx.onClose("trace store", () => store.close());
    ctx.readiness("storage", () => store.healthy());

    const budgets = new BudgetGuard();
    await ctx.consume(TOPICS.budgets, (event) => budgets.apply(event));

    const upstreams = new Map(
      config.providers.map(
        (p) => [p.name, new Upstream(p, config.MAX_CONNECTIONS, config.TIMEOUT_MS)] as const,
      ),
    );
    ctx.onClose("upstream pools", () =>
      Promise.all([...upstreams.values()].map((u) => u.pool.close())).then(() => {}),
    );

    const metrics = proxyMetrics(ctx.registry);
    const recorder = new TraceRecorder(
      metrics,
      store,
      (event) => ctx.publish(TOPICS.traces, event),
      new Set(upstreams.keys()),
      ctx.logger,
    );
    await app.register(proxyRoutes, {
      upstreams,
      defaultProvider: config.defaultProvider,
      keys: ctx.keys,
      budgets,
      metrics,
      recorder,
      bodyLimit: config.BODY_LIMIT_BYTES,
      security: config.SECURITY_ANALYSIS,
      securityThreshold: config.SECURITY_THRESHOLD,
      tracing: ctx.tracing,
    });
    await app.register(tracesApi, { store, keys: ctx.keys });
    ctx.logger.debug(
      { providers: config.providers.map((p) => p.name), storage: config.STORAGE_PROFILE },
      "routes ready",
    );
    return { store, budgets };
  },
});
