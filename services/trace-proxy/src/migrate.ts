/**
 * Pre-rollout migrations (the Deployment's init container runs `node dist/migrate.mjs` with the same
 * env as the service): applies the trace store's and the bus outbox's migrations to DATABASE_URL and
 * exits. Without DATABASE_URL there is nothing shared to migrate (memory / embedded PGlite storage
 * migrates itself at startup). Exit 0 on success, 1 on failure, 2 on bad config.
 */
import { busMigrations, ConfigError, createLogger, migrate, openDatabase } from "@llmops/shared";
import { loadTraceProxyConfig } from "./config.ts";
import { traceMigrations } from "./store.ts";

const logger = createLogger("trace-proxy-migrate", process.env.LOG_LEVEL ?? "info");
try {
  const config = loadTraceProxyConfig();
  if (!config.DATABASE_URL) {
    logger.info({ storage: config.STORAGE_PROFILE }, "no DATABASE_URL: nothing to migrate");
  } else {
    const db = await openDatabase({ url: config.DATABASE_URL, logger, maxConnections: 1 });
    try {
      const applied = [
        ...(await migrate(db, "trace-proxy", traceMigrations)),
        ...(await migrate(db, "bus", busMigrations)),
      ];
      logger.info({ applied }, applied.length ? "migrations applied" : "schema up to date");
    } finally {
      await db.close();
    }
  }
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`trace-proxy migrate: ${err.message}\n`);
    process.exit(2);
  }
  logger.error({ err: (err as Error).message }, "migration failed");
  process.exit(1);
}
