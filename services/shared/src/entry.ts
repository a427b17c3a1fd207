/**
 * The two entry scripts of every service image, run from a service definition: `main` (the container
 * command) and `migrate` (the init container that applies migrations before a rollout). Config errors
 * are one message on stderr and exit 2, never a stack trace.
 */
import { ConfigError } from "./config.ts";
import { openDatabase } from "./db.ts";
import type { CommonConfig } from "./env.ts";
import { createLogger } from "./logger.ts";
import { loadServiceConfig, migrateService, type ServiceDefinition, startService } from "./runtime.ts";
import { Shutdown } from "./server.ts";

function configFailure(name: string, err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

/** Starts the service, serves until SIGTERM/SIGINT, then shuts down gracefully and exits 0. */
export async function runMain(def: ServiceDefinition<any, any, any>): Promise<void> {
  const name = def.contract.name;
  const log = createLogger(name, process.env.LOG_LEVEL || "info");
  try {
    const service = await startService(def, { logger: log });
    const config = service.config as CommonConfig;
    const shutdown = new Shutdown(log, config.SHUTDOWN_TIMEOUT_MS);
    shutdown.add(name, () => service.close());
    shutdown.installSignalHandlers();
    log.info({ url: service.url }, `${name} listening`);
  } catch (err) {
    if (err instanceof ConfigError) configFailure(name, err);
    log.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}

/**
 * Applies the bus's and the service's migrations to DATABASE_URL and exits: 0 done (or nothing to do:
 * without DATABASE_URL the embedded database migrates itself at start), 1 failed, 2 bad config.
 */
export async function runMigrate(def: ServiceDefinition<any, any, any>): Promise<void> {
  const name = def.contract.name;
  const log = createLogger(`${name}-migrate`, process.env.LOG_LEVEL || "info");
  let url: string | undefined;
  let caFile: string | undefined;
  try {
    ({ DATABASE_URL: url, DATABASE_CA_FILE: caFile } = loadServiceConfig(def) as CommonConfig);
  } catch (err) {
    configFailure(`${name} migrate`, err);
  }
  if (!url) {
    log.info("no DATABASE_URL: nothing to migrate");
    return;
  }
  try {
    const db = await openDatabase({ url, caFile, logger: log, maxConnections: 1 });
    try {
      const applied = await migrateService(def, db);
      log.info({ applied }, applied.length ? "migrations applied" : "schema up to date");
    } finally {
      await db.close();
    }
  } catch (err) {
    log.error({ err: (err as Error).message }, "migration failed");
    process.exit(1);
  }
}
