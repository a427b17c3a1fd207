/**
 * The cost API as a service definition: the runtime brings Postgres (migrations applied), the bus and
 * the server; this adds the price catalogue, the batched llm.traces ingest, budgets and the routes.
 */
import { defineService, TOPICS } from "@llmops/shared";
import { Budgets } from "./budgets.ts";
import { PriceCatalogue } from "./catalogue.ts";
import { contract } from "./contract.ts";
import { ingestRows, repriceUnpriced, toUsageRow } from "./ingest.ts";
import { costMetrics, httpMetrics } from "./metrics.ts";
import { costMigrations } from "./migrations.ts";
import { costRoutes } from "./routes.ts";

export default defineService({
  contract,
  migrations: costMigrations,
  async setup(ctx) {
    const { config, logger } = ctx;
    const db = ctx.db!;
    const metrics = costMetrics(ctx.registry);
    httpMetrics(ctx.app, metrics);

    const prices = new PriceCatalogue(db, logger);
    await prices.init(config.PRICES_FILE);
    metrics.prices.set(prices.list({}).length);
    const budgets = new Budgets(
      db,
      async (e) => {
        await ctx.publish(TOPICS.budgets, e);
        metrics.budgetEvents.inc({ threshold: String(e.threshold) });
      },
      logger,
    );

    const refreshUnpriced = async () => {
      const r = await db.query<{ n: number }>(
        "select count(*)::int as n from cost_usage where cost_usd is null",
      );
      metrics.unpriced.set(r.rows[0]!.n);
    };

    /** Reloads prices (another replica may have added some), prices what was waiting, re-checks budgets. */
    const reprice = async () => {
      await prices.reload();
      metrics.prices.set(prices.list({}).length);
      const r = await repriceUnpriced(db, prices);
      if (r.priced) {
        metrics.repriced.inc(r.priced);
        logger.info({ priced: r.priced }, "unpriced usage priced");
        await budgets.evaluate(r.tenants);
      }
      await refreshUnpriced();
    };

    await ctx.consumeBatch(TOPICS.traces, config.INGEST_BATCH_MAX, async (items) => {
      const rows = items.map(({ event }) => toUsageRow(event, prices));
      const r = await ingestRows(db, rows);
      metrics.batch.observe(items.length);
      metrics.ingested.inc({ result: "stored" }, r.inserted);
      if (items.length > r.inserted) metrics.ingested.inc({ result: "duplicate" }, items.length - r.inserted);
      const now = Date.now();
      for (const { event } of items)
        metrics.lag.observe(Math.max(0, now - Date.parse(event.startedAt) - event.latencyMs) / 1000);
      for (const c of r.costs) metrics.cost.inc({ tenant: c.tenant, model: c.model }, Number(c.costUsd));
      for (const u of r.unpriced) {
        metrics.unpricedIngested.inc({ provider: u.provider, model: u.model }, u.requests);
        metrics.unpriced.inc(u.requests);
      }
      await budgets.evaluate(r.tenants);
    });

    ctx.every("reprice", config.REPRICE_INTERVAL_MS, reprice);
    ctx.every("budget periods", config.BUDGET_CHECK_INTERVAL_MS, async () =>
      budgets.evaluate(await budgets.flaggedTenants()),
    );
    await refreshUnpriced();

    await ctx.app.register(costRoutes, { keys: ctx.keys, prices, budgets, onPricesChanged: reprice });
    return { prices, budgets, reprice };
  },
});
