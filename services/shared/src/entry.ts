/**
 * The entry scripts of every service image, run from a service definition: `main` (the container
 * command), `migrate` (the init container that applies migrations before a rollout) and, in the
 * images of Postgres users, `roles` (the deployment's admin Job that provisions every service's
 * Postgres role). Config errors are one message on stderr and exit 2, never a stack trace.
 */
import pg from "pg";
import { z } from "zod";
import { ConfigError, loadConfig } from "./config.ts";
import { connectionConfig, openDatabase } from "./db.ts";
import { POSTGRES_ROLES_AUTH_ENV } from "./contract.ts";
import { type CommonConfig, commonEnv, type DatabaseAuth } from "./env.ts";
import { createLogger } from "./logger.ts";
import { legacyService } from "./adopt.ts";
import { provisionRoles, readMonitor, readRoles, schemaOf, type ServiceRole } from "./roles.ts";
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
  let auth: DatabaseAuth | undefined;
  try {
    ({
      DATABASE_URL: url,
      DATABASE_CA_FILE: caFile,
      DATABASE_AUTH: auth,
    } = loadServiceConfig(def) as CommonConfig);
  } catch (err) {
    configFailure(`${name} migrate`, err);
  }
  if (!url) {
    log.info("no DATABASE_URL: nothing to migrate");
    return;
  }
  try {
    const db = await openDatabase({ url, caFile, auth, logger: log, maxConnections: 1 });
    try {
      const applied = await migrateService(def, db);
      log.info({ applied }, applied.length ? "migrations applied" : "schema up to date");
    } finally {
      await db.close();
    }
  } catch (err) {
    if (err instanceof ConfigError) configFailure(`${name} migrate`, err);
    log.error({ err: (err as Error).message }, "migration failed");
    process.exit(1);
  }
}

const rolesEnv = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (the admin login)"),
  DATABASE_CA_FILE: z.string().optional(),
  /** How the Job itself logs in: on Azure as the server's Entra administrator (azure-entra). */
  DATABASE_AUTH: commonEnv.DATABASE_AUTH,
  /** How the services log in, hence how their roles are made (roles.ts). */
  [POSTGRES_ROLES_AUTH_ENV]: commonEnv.DATABASE_AUTH,
  POSTGRES_ROLES_DIR: z.string(),
  /** The monitoring login's URL (its Secret mounted as a file); unset, no monitoring login. */
  POSTGRES_MONITOR_URL_FILE: z.string().optional(),
  LOG_LEVEL: z.string().default("info"),
});

/**
 * Provisions the services' Postgres roles (roles.ts) with the admin login in DATABASE_URL, one role
 * per folder of POSTGRES_ROLES_DIR, and exits: 0 done, 1 failed, 2 bad config. Any image of a
 * Postgres user carries it; which one runs it says nothing about the roles it provisions, only whose
 * objects of the layout before per-service roles it moves out of `public` (adopt.ts): its own, as
 * only its image knows its migrations. The Job runs it once per Postgres user's image.
 */
export async function runRoles(definition?: ServiceDefinition<any, any, any>): Promise<void> {
  let env: z.infer<typeof rolesEnv>;
  let roles: ReturnType<typeof readRoles>["roles"];
  let monitor: ServiceRole | undefined;
  let connection: pg.ClientConfig;
  try {
    env = loadConfig(rolesEnv);
    const read = readRoles(env.POSTGRES_ROLES_DIR, env[POSTGRES_ROLES_AUTH_ENV]);
    const watcher = env.POSTGRES_MONITOR_URL_FILE
      ? readMonitor(env.POSTGRES_MONITOR_URL_FILE)
      : { problems: [] };
    if (read.problems.length || watcher.problems.length)
      throw new ConfigError([...read.problems, ...watcher.problems]);
    roles = read.roles;
    monitor = watcher.monitor;
    connection = connectionConfig(env.DATABASE_URL, env.DATABASE_CA_FILE, env.DATABASE_AUTH);
  } catch (err) {
    configFailure("postgres-roles", err);
  }
  const log = createLogger("postgres-roles", env.LOG_LEVEL);
  try {
    const client = new pg.Client(connection);
    await client.connect();
    try {
      // Its own service's objects, when the roles it provisions include its own (the Job's always do).
      const own = definition && legacyService(definition);
      const adopt = own && roles.some((r) => schemaOf(r) === own.role) ? own : undefined;
      const adopted = await provisionRoles(client, roles, adopt, monitor);
      log.info(
        {
          roles: roles.map((r) => r.role),
          auth: env[POSTGRES_ROLES_AUTH_ENV],
          monitor: monitor?.role,
          adopted,
        },
        "postgres roles provisioned",
      );
    } finally {
      await client.end();
    }
  } catch (err) {
    log.error({ err: (err as Error).message }, "provisioning postgres roles failed");
    process.exit(1);
  }
}
