/**
 * The sentinel as a service definition: the runtime builds config, Postgres, the bus and the server from
 * the contract; this adds the detection engine on the llm.traces consumer, llm.anomalies publishing,
 * the alert sinks, rollups, baseline persistence and the read APIs.
 *
 * The consumer hands each event to the same Engine.ingest the replay uses; everything else here (I/O)
 * happens after the engine has decided, so what is emitted never depends on timing.
 */
import { ConfigError, defineService, TOPICS } from "@llmops/shared";
import type { AnomalyEvent } from "@llmops/shared/events";
import { PriceFeed } from "@llmops/shared/price-feed";
import { PriceBook } from "@llmops/shared/pricing";
import type { z } from "zod";
import { sentinelApi } from "./api.ts";
import { contract } from "./contract.ts";
import { type DetectorConfig, loadDetectorConfig } from "./detect/config.ts";
import { Engine, isProviderFailure } from "./detect/engine.ts";
import { bookPricer } from "./detect/pricer.ts";
import { sentinelMetrics } from "./metrics.ts";
import { AlertmanagerSink, type Sink, sinkHooks, WebhookSink } from "./sinks.ts";
import { loadBaselines, RollupBuffer, saveBaselines, sentinelMigrations, storeAnomalies } from "./store.ts";

type SentinelEnv = z.infer<typeof contract.env>;
export interface SentinelConfig extends SentinelEnv {
  detectors: DetectorConfig;
}

/** The detector file is part of the config: a bad one fails the start with one message (exit 2). */
export function configureSentinel(env: SentinelEnv): SentinelConfig {
  const problems: string[] = [];
  if (env.WEBHOOK_URL && !env.WEBHOOK_SECRET) problems.push("WEBHOOK_SECRET: required with WEBHOOK_URL");
  let detectors: DetectorConfig | undefined;
  try {
    detectors = loadDetectorConfig(env.SENTINEL_CONFIG_FILE, "SENTINEL_CONFIG_FILE");
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => `SENTINEL_CONFIG_FILE: ${p}`));
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...env, detectors: detectors! };
}

const EMPTY_BOOK = new PriceBook();
/** Series serialised per statement when baselines are saved. */
const BASELINE_SLICE = 16;

export default defineService({
  contract,
  configure: configureSentinel,
  migrations: sentinelMigrations,
  async setup(ctx) {
    const { config, logger } = ctx;
    const db = ctx.db!;
    const feed = config.COST_API_URL
      ? new PriceFeed(config.COST_API_URL, config.COST_API_KEY ?? config.ADMIN_API_KEYS[0], (err) =>
          logger.warn({ err }, "prices not refreshed from the cost API"),
        )
      : null;
    const book = () => feed?.book ?? EMPTY_BOOK;
    const group = `${config.KAFKA_CONSUMER_GROUP ?? contract.name}-detectors`;
    // The metrics read the engine at scrape time; the engine reports its errors to the metrics.
    const holder: { engine?: Engine } = {};
    const metrics = sentinelMetrics(ctx.registry, { engine: () => holder.engine!, consumerGroup: group });
    const engine = new Engine(config.detectors, {
      pricer: feed ? bookPricer(book) : undefined,
      hooks: {
        detectorError: (metric, detector, err) => {
          metrics.detectionErrors.inc({ metric, detector });
          logger.warn({ metric, detector, err: (err as Error).message }, "detector error (isolated)");
        },
        ingestionError: (reason) => metrics.ingestionError(reason),
        seriesDropped: () => metrics.seriesDropped.inc(),
      },
    });
    holder.engine = engine;
    const every = (name: string, seconds: number, task: () => Promise<void>) =>
      ctx.every(name, seconds * 1000, task);

    // Baselines survive a restart: the last saved state of every series comes back before consuming.
    try {
      const saved = await loadBaselines(db);
      let restored = 0;
      for (const s of saved) if (engine.restoreSeries(s)) restored++;
      if (saved.length) logger.info({ restored, saved: saved.length }, "baselines restored");
    } catch (err) {
      metrics.storageErrors.inc({ op: "load_baselines" });
      logger.error({ err: (err as Error).message }, "baselines not restored: detectors warm up from empty");
    }
    // In slices: serialising every series at once holds the event loop (and the next event's anomaly)
    // for milliseconds; between slices the consumer goes on.
    const saveAll = async () => {
      try {
        const all = engine.series();
        for (let i = 0; i < all.length; i += BASELINE_SLICE)
          await saveBaselines(
            db,
            all.slice(i, i + BASELINE_SLICE).map((s) => s.snapshot()),
          );
      } catch (err) {
        metrics.storageErrors.inc({ op: "save_baselines" });
        logger.error({ err: (err as Error).message }, "baselines not saved (retried)");
      }
    };
    every("baselines", config.BASELINE_SAVE_SECONDS, saveAll);

    // Prices: the cost API's catalogue, refreshed; until it answers, calls are not priced (no cost series).
    if (feed) {
      await feed.refresh();
      every("cost-api prices", config.PRICES_REFRESH_SECONDS, () => feed.refresh());
    }

    const rollups = new RollupBuffer();
    const flushRollups = async () => {
      try {
        await rollups.flush(db);
      } catch (err) {
        metrics.storageErrors.inc({ op: "rollups" });
        logger.error({ err: (err as Error).message }, "rollups not written (kept for the next flush)");
      }
    };
    every("rollups", config.ROLLUP_FLUSH_SECONDS, flushRollups);

    const policy = { maxAttempts: config.ALERT_MAX_ATTEMPTS, baseMs: config.ALERT_BACKOFF_MS };
    const hooks = sinkHooks(metrics.deliveries, logger);
    const sinks: Sink[] = [];
    if (config.ALERTMANAGER_URL)
      sinks.push(
        new AlertmanagerSink(config.ALERTMANAGER_URL, policy, hooks, config.ALERT_RESEND_SECONDS * 1000),
      );
    if (config.WEBHOOK_URL)
      sinks.push(new WebhookSink(config.WEBHOOK_URL, config.WEBHOOK_SECRET!, policy, hooks));

    // Anomalies the bus did not accept are kept and published ahead of the next ones (order preserved):
    // throwing would redeliver the event and run it through the detectors twice.
    const unpublished: AnomalyEvent[] = [];
    // Published first, stored after: storing is not on the path from an event to its anomaly.
    const emit = async (a: AnomalyEvent) => {
      await ctx.publish(TOPICS.anomalies, a);
      metrics.anomalies.inc({ metric: a.metric, severity: a.severity, state: a.state ?? "firing" });
      for (const s of sinks) s.send(a);
    };
    // Stored off the consumer's path (a slow insert must not hold up the next event's anomaly), in
    // batches: what was published while an insert ran goes in the next one. The close drains the queue.
    const toStore: AnomalyEvent[] = [];
    let storing: Promise<void> = Promise.resolve();
    const store = (published: AnomalyEvent[]) => {
      const idle = toStore.length === 0;
      toStore.push(...published);
      if (!idle) return;
      storing = storing.then(async () => {
        const batch = toStore.splice(0);
        try {
          await storeAnomalies(db, batch);
        } catch (err) {
          metrics.storageErrors.inc({ op: "anomalies" });
          logger.error({ err: (err as Error).message, ids: batch.map((a) => a.id) }, "anomalies not stored");
        }
      });
    };

    const stats = { processed: 0 };
    await ctx.consume(TOPICS.traces, async (event) => {
      const started = performance.now();
      stats.processed++;
      metrics.events.inc();
      const anomalies = engine.ingest(event);
      const failed = isProviderFailure(event);
      rollups.add(event, failed, config.COST_API_URL && !failed ? priceOf(event) : undefined);
      unpublished.push(...anomalies);
      const published: AnomalyEvent[] = [];
      while (unpublished.length) {
        try {
          await emit(unpublished[0]!);
          published.push(unpublished.shift()!);
        } catch (err) {
          logger.error(
            { err: (err as Error).message, pending: unpublished.length },
            "anomaly not published (kept)",
          );
          break;
        }
      }
      metrics.latency.observe((performance.now() - started) / 1000);
      if (published.length) store(published);
    });

    const pricer = bookPricer(book);
    function priceOf(e: Parameters<typeof isProviderFailure>[0]): number | undefined {
      const at = Date.parse(e.startedAt);
      return Number.isNaN(at)
        ? undefined
        : pricer({ provider: e.provider, model: e.model ?? "unknown", at, usage: e.usage });
    }

    await ctx.app.register(sentinelApi, { db, keys: ctx.keys });
    ctx.onClose("sentinel", async () => {
      await storing;
      await flushRollups();
      await saveAll();
      await Promise.all(sinks.map((s) => s.close(Math.min(5000, config.SHUTDOWN_TIMEOUT_MS))));
    });
    return { engine, stats, rollups, flushRollups, saveBaselines: saveAll, unpublished };
  },
});
