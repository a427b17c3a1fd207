/**
 * Postgres backends for suites that must hold on both: embedded PGlite (the default) and a real
 * PostgreSQL server. The real one is DATABASE_URL when set, else a throwaway cluster from Debian's
 * postgresql package (installed by test/setup/prepare.sh): initdb into a temp dir, pg_ctl on a free
 * loopback port, run as the `postgres` system user when we are root (the server refuses to run as root).
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PostgresBackend {
  name: string;
  /** Env for the service under test: {} for PGlite, DATABASE_URL of a fresh database otherwise. */
  env(): Promise<Record<string, string>>;
  cleanup?(): Promise<void>;
}

function pgBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "pg_ctl")));
  if (!bin)
    throw new Error(
      `PostgreSQL server not installed: run "bash test/setup/prepare.sh" (npm test does it as pretest)`,
    );
  return bin;
}

const ownerOf = (path: string) => statSync(path);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface TestPostgres {
  url: string;
  version: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Check passwords on TCP (scram-sha-256; the superuser `postgres` gets a random one, carried in
   * `url`), as a managed server does: for suites about credentials. Default: trust.
   */
  passwords?: boolean;
  /**
   * Serve TLS too (ssl=on) with this certificate and key (PEM files, copied into the cluster), as a
   * managed server does: for suites whose client must verify the server (token logins).
   */
  tls?: { certFile: string; keyFile: string };
}

/** Starts a throwaway PostgreSQL cluster (loopback only, no fsync: test data). */
export async function startPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), "llmops-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  // The server started by pg_ctl would hold a piped stdout open (and execFileSync waiting on it): its
  // output goes to server.log, ours is ignored; a failure's reason is in the thrown error or that log.
  const run = (cmd: string, args: string[], stdio: "pipe" | "ignore" = "pipe") =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio })
      : execFileSync(join(bin, cmd), args, { stdio });
  if (asRoot)
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString()),
      Number(execFileSync("id", ["-g", "postgres"]).toString()),
    );
  const superPassword = options.passwords ? randomUUID() : undefined;
  const pwfile = join(dir, "pwfile");
  if (superPassword) {
    writeFileSync(pwfile, `${superPassword}\n`);
    if (asRoot) chownSync(pwfile, ownerOf(dir).uid, ownerOf(dir).gid);
  }
  const tlsArgs: string[] = [];
  if (options.tls) {
    // The server refuses a key that others may read; it runs as the cluster directory's owner.
    for (const [name, from] of [
      ["server.crt", options.tls.certFile],
      ["server.key", options.tls.keyFile],
    ] as const) {
      copyFileSync(from, join(dir, name));
      chmodSync(join(dir, name), 0o600);
      if (asRoot) chownSync(join(dir, name), ownerOf(dir).uid, ownerOf(dir).gid);
    }
    tlsArgs.push(
      `-c ssl=on -c ssl_cert_file=${join(dir, "server.crt")} -c ssl_key_file=${join(dir, "server.key")}`,
    );
  }
  run("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    ...(superPassword
      ? ["--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwfile}`]
      : ["--auth=trust"]),
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = await freePort();
  try {
    run(
      "pg_ctl",
      [
        "-D",
        data,
        "-l",
        join(dir, "server.log"),
        "-w",
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${tlsArgs.join(" ")}`,
        "start",
      ],
      "ignore",
    );
  } catch (err) {
    const log = existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8") : "";
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`, { cause: err });
  }
  const url = `postgres://postgres${superPassword ? `:${superPassword}` : ""}@127.0.0.1:${port}/postgres`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const version = (await client.query("show server_version")).rows[0].server_version as string;
  await client.end();
  return {
    url,
    version,
    async stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], "ignore");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh, empty database on a server (so suites sharing a server never see each other's rows). */
export async function createDatabase(serverUrl: string): Promise<string> {
  const name = `t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** PGlite, then the real server (DATABASE_URL, or one started for this file); env() gives a new database each call. */
export async function postgresBackends(): Promise<PostgresBackend[]> {
  let server: TestPostgres | undefined;
  const external = process.env.DATABASE_URL;
  return [
    { name: "PGlite (embedded)", env: async () => ({}) },
    {
      name: external ? "PostgreSQL (DATABASE_URL)" : "PostgreSQL (Debian package)",
      async env() {
        if (external) return { DATABASE_URL: await createDatabase(external) };
        server ??= await startPostgres();
        return { DATABASE_URL: await createDatabase(server.url) };
      },
      async cleanup() {
        await server?.stop();
      },
    },
  ];
}

/** The server's URL logged in as another user, on a given database. */
export function loginUrl(serverUrl: string, user: string, password: string, database: string): string {
  const u = new URL(serverUrl);
  u.username = user;
  u.password = password;
  u.pathname = `/${database}`;
  return u.toString();
}

/** One connection as the URL's user for the length of `fn`, closed whatever happens. */
export async function asUser<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
