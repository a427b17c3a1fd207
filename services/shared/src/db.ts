import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";
import { ConfigError } from "./config.ts";
import { tokenPassword, tokenEnvProblems } from "./db-auth.ts";
import type { DatabaseAuth } from "./env.ts";
import type { Logger } from "./logger.ts";

export interface Database {
  readonly kind: "postgres" | "pglite";
  readonly pool: pg.Pool;
  query<R extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs fn in a transaction on one connection. */
  tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when unset an embedded PGlite is started and served over the wire protocol. */
  url?: string | undefined;
  /**
   * PEM file of the CA(s) the server certificate must chain to (DATABASE_CA_FILE): a managed
   * Postgres's certificate does not chain to Node's default roots. The URL's sslmode says what is
   * checked: verify-full (default) the chain and the host name, verify-ca (or require) the chain only.
   */
  caFile?: string | undefined;
  /** How the URL's user logs in (DATABASE_AUTH): its password, or a cloud token (db-auth.ts). */
  auth?: DatabaseAuth | undefined;
  /** Directory for PGlite data; "memory" (or unset) keeps it in memory. */
  dataDir?: string | undefined;
  logger?: Logger;
  /** Pool size for DATABASE_URL (the embedded PGlite always has one connection). */
  maxConnections?: number;
}

// pg returns bigint (int8) as string by default; our counters fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Opens Postgres. With DATABASE_URL it is a plain pg.Pool; without, PGlite is started in-process
 * and exposed through pglite-socket on 127.0.0.1:<random>, so the very same `pg` code path runs.
 */
export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({
      ...connectionConfig(opts.url, opts.caFile, opts.auth),
      max: opts.maxConnections ?? 10,
    });
    pool.on("error", (err) => opts.logger?.error({ err: err.message }, "postgres pool error"));
    return wrap("postgres", pool, async () => {
      await pool.end();
    });
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  let dir: string | undefined;
  if (opts.dataDir && opts.dataDir !== "memory") {
    dir = resolve(opts.dataDir);
    mkdirSync(dir, { recursive: true });
  }
  const db = dir ? await PGlite.create(dir) : await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  await server.start();
  const conn = server.getServerConn();
  // One connection: PGlite is a single session, and pglite-socket interleaves the protocol messages
  // of concurrent connections outside transactions, so one caller's Bind can meet another's Parse
  // (wrong rows or "unnamed prepared statement does not exist"; electric-sql/pglite#1046). pg queues
  // callers on the one connection, which is all the parallelism a single session has anyway.
  const pool = new pg.Pool({
    connectionString: `postgres://postgres:postgres@${conn}/postgres?sslmode=disable`,
    max: 1,
  });
  pool.on("error", (err) => opts.logger?.warn({ err: err.message }, "pglite pool error"));
  opts.logger?.info({ dataDir: dir ?? "memory", conn }, "embedded PGlite started");
  return wrap("pglite", pool, async () => {
    await pool.end();
    await server.stop();
    await db.close();
  });
}

/** URL parameters that configure TLS; with a CA file they are replaced by an explicit `ssl` config. */
const TLS_PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey", "uselibpqcompat"];

/**
 * The pg config of a postgres:// URL. Without a CA file the URL goes to pg as is. With one, the
 * verification is spelled out here rather than left to the URL parser: pg reads sslmode=require
 * as verify-full, and any ssl parameter in the URL would replace an `ssl` object given beside it.
 *
 * A token login (`auth` other than password, db-auth.ts) has no password in the URL: pg gets a
 * password function instead, and the connection fields one by one (pg would let the URL's empty
 * password replace the function). The token is a credential sent as the password, so the server
 * must be verified: a CA file is required. Problems are one ConfigError.
 */
export function connectionConfig(
  url: string,
  caFile?: string,
  auth: DatabaseAuth = "password",
  env: Record<string, string | undefined> = process.env,
): pg.PoolConfig {
  if (auth === "password" && !caFile) return { connectionString: url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL may hold a password: never echoed.
    throw new ConfigError(["DATABASE_URL: not a valid URL"]);
  }
  if (auth === "password") {
    const ssl = tlsConfig(parsed, caFile!);
    return { connectionString: parsed.toString(), ssl };
  }
  const problems: string[] = [];
  if (parsed.password)
    problems.push(
      `DATABASE_AUTH=${auth} logs in with a token: DATABASE_URL must carry the user and no password`,
    );
  if (!caFile)
    problems.push(
      `DATABASE_AUTH=${auth} sends a token as the password: DATABASE_CA_FILE must be set (the server's certificate is verified)`,
    );
  problems.push(...tokenEnvProblems(auth, env));
  const ssl = caFile ? tlsConfig(parsed, caFile) : undefined;
  const extra = [...parsed.searchParams.keys()];
  if (extra.length)
    problems.push(`DATABASE_URL: parameter ${extra.join(", ")} is not supported with DATABASE_AUTH=${auth}`);
  const user = decodeURIComponent(parsed.username);
  if (!user) problems.push("DATABASE_URL: no user name");
  if (problems.length) throw new ConfigError(problems);
  const target = { host: parsed.hostname, port: Number(parsed.port || 5432), user };
  return {
    ...target,
    database: decodeURIComponent(parsed.pathname.slice(1)) || user,
    password: tokenPassword(auth, target, env),
    ssl,
  };
}

/** The `ssl` config for a CA file and the URL's sslmode; removes the URL's TLS parameters. */
function tlsConfig(parsed: URL, caFile: string): pg.ConnectionConfig["ssl"] {
  const mode = parsed.searchParams.get("sslmode") ?? "verify-full";
  if (mode === "disable" || mode === "allow" || mode === "prefer" || mode === "no-verify")
    throw new ConfigError([
      `DATABASE_CA_FILE is set but DATABASE_URL has sslmode=${mode}: use verify-full, or verify-ca where the server's certificate cannot name its address`,
    ]);
  if (!["require", "verify-ca", "verify-full"].includes(mode))
    throw new ConfigError([`DATABASE_URL: unknown sslmode=${mode}`]);
  let ca: string;
  try {
    ca = readFileSync(caFile, "utf8");
  } catch (err) {
    throw new ConfigError([`DATABASE_CA_FILE ${caFile}: ${(err as Error).message}`]);
  }
  if (!ca.includes("BEGIN CERTIFICATE"))
    throw new ConfigError([`DATABASE_CA_FILE ${caFile}: no PEM certificate`]);
  for (const p of TLS_PARAMS) parsed.searchParams.delete(p);
  return {
    ca,
    rejectUnauthorized: true,
    // libpq semantics: with a root certificate, require and verify-ca check the chain, not the name.
    ...(mode === "verify-full" ? {} : { checkServerIdentity: () => undefined }),
  };
}

function wrap(kind: Database["kind"], pool: pg.Pool, closeAll: () => Promise<void>): Database {
  let closed = false;
  return {
    kind,
    pool,
    query: (text, params) => pool.query(text, params as any[]),
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const out = await fn(client);
        await client.query("COMMIT");
        return out;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async healthy() {
      if (closed) return false;
      try {
        await pool.query("select 1");
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await closeAll();
    },
  };
}

export interface Migration {
  id: string;
  sql: string;
}

/** The migration bookkeeping, created unqualified: in the first schema of the search_path. */
export const SCHEMA_MIGRATIONS_DDL = `create table if not exists schema_migrations (
         namespace text not null, id text not null, applied_at timestamptz not null default now(),
         primary key (namespace, id))`;

/**
 * Applies migrations (sorted by id) once each, recorded per namespace in schema_migrations.
 * A session advisory lock keeps concurrent replicas from racing. Same SQL on Postgres and PGlite.
 */
export async function migrate(db: Database, namespace: string, migrations: Migration[]): Promise<string[]> {
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await client.query("select pg_advisory_lock(hashtext($1))", [`migrate:${namespace}`]);
    await client.query(SCHEMA_MIGRATIONS_DDL);
    const done = new Set(
      (await client.query("select id from schema_migrations where namespace = $1", [namespace])).rows.map(
        (r) => r.id,
      ),
    );
    for (const m of [...migrations].sort((a, b) => a.id.localeCompare(b.id))) {
      if (done.has(m.id)) continue;
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("insert into schema_migrations (namespace, id) values ($1, $2)", [
          namespace,
          m.id,
        ]);
        await client.query("COMMIT");
        applied.push(m.id);
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`migration ${namespace}/${m.id} failed: ${(err as Error).message}`, { cause: err });
      }
    }
  } finally {
    await client.query("select pg_advisory_unlock(hashtext($1))", [`migrate:${namespace}`]).catch(() => {});
    client.release();
  }
  return applied;
}
