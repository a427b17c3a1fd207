/**
 * The trace proxy as a service definition: the runtime (services/shared) builds config, logger, metrics,
 * Postgres, the bus and the server from the contract; this adds the store, the budget consumer, the
 * upstream pools and the routes.
 */
import { defineService, TOPICS } from "@llmops/shared";
import { BudgetGuard } from "./budgets.ts";
import { configureTraceProxy } from "./config.ts";
import type { Call } from "./call.ts";
import { contract } from "./contract.ts";
import { CostFeed } from "./cost-feed.ts";
import { BudgetLedger } from "./ledger.ts";
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
    let ledger: BudgetLedger | null = null;
    if (config.COST_API_URL) {
      const feed = new CostFeed(
        config.COST_API_URL,
        config.COST_API_KEY ?? config.ADMIN_API_KEYS[0],
        ctx.logger,
      );
      await feed.prices.refresh();
      ctx.every("cost API prices", config.PRICES_REFRESH_MS, () => feed.prices.refresh());
      const accounts = new BudgetLedger({
        fetchStatus: (tenant) => feed.status(tenant),
        prices: () => feed.book(),
        replicas: config.BUDGET_REPLICAS,
        defaultMaxOutputTokens: config.BUDGET_DEFAULT_MAX_TOKENS,
        refreshMs: config.BUDGET_REFRESH_MS,
        ingestWindowMs: config.BUDGET_INGEST_WINDOW_MS,
        noBudgetRefreshMs: Math.max(30_000, config.BUDGET_REFRESH_MS),
        logger: ctx.logger,
      });
      ctx.every("budget ledger", accounts.tickMs, async () => accounts.tick());
      ledger = accounts;
    }
    await ctx.consume(TOPICS.budgets, (event) => {
      budgets.apply(event);
      ledger?.changed(event.tenant);
    });

    const upstreams = new Map(
      config.providers.map(
        (p) => [p.name, new Upstream(p, config.MAX_CONNECTIONS, config.TIMEOUT_MS)] as const,
      ),
    );
    ctx.onClose("upstream pools", () =>
      Promise.all([...upstreams.values()].map((u) => u.pool.close())).then(() => {}),
    );

    const metrics = proxyMetrics(ctx.registry);
    const traceRecorder = new TraceRecorder(
      metrics,
      store,
      (event) => ctx.publish(TOPICS.traces, event),
      new Set(upstreams.keys()),
      ctx.logger,
    );
    // A call's reservation becomes its real cost when it is recorded (its usage is final then).
    const recorder = {
      record(call: Call) {
        if (call.reservation) ledger?.settle(call.reservation, call.usage);
        traceRecorder.record(call);
      },
    };
    await app.register(proxyRoutes, {
      upstreams,
      defaultProvider: config.defaultProvider,
      keys: ctx.keys,
      budgets,
      ledger,
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
    return { store, budgets, ledger };
  },
});
