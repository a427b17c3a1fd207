/**
 * The services' Postgres roles, on a real PostgreSQL server that checks passwords: the admin Job's
 * statements (services/shared/src/roles.ts), run as a managed server's admin login runs them (not a
 * superuser: CREATEROLE and the database's owner, as on RDS, Cloud SQL and Azure), leave each service
 * able to run its own migrations in its own schema and unable to touch anything else.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateService, openDatabase, provisionRoles, type ServiceRole } from "@llmops/shared";
import { POSTGRES_MONITOR_ROLE } from "../services/shared/src/contract.ts";
import { postgresRole } from "../services/shared/src/contract.ts";
import { CONTRACTS, loadDefinition } from "../services/services.ts";
import { ROOT } from "./helpers/plan.ts";
import { asUser, loginUrl, startPostgres, type TestPostgres } from "./helpers/postgres.ts";

const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);
const ADMIN = "llmops_admin";
const ADMIN_PASSWORD = "admin-password-0123456789";
const secret = () => randomBytes(18).toString("base64url");

let server: TestPostgres;
let dir: string;
const urlOf = (user: string, password: string, database = "llmops") =>
  loginUrl(server.url, user, password, database);
const adminUrl = () => urlOf(ADMIN, ADMIN_PASSWORD);

const provision = (roles: ServiceRole[]) => asUser(adminUrl(), (c) => provisionRoles(c, roles));

let passwords: Record<string, string>;

beforeAll(async () => {
  server = await startPostgres({ passwords: true });
  dir = mkdtempSync(join(tmpdir(), "roles-"));
  await asUser(server.url, async (c) => {
    await c.query(`create role ${ADMIN} login createrole password '${ADMIN_PASSWORD}'`);
    await c.query(`create database llmops owner ${ADMIN}`);
    // Stand-in for the managed admin login's provider role (rds_superuser, cloudsqlsuperuser,
    // azure_pg_admin), through which it may grant pg_monitor: PostgreSQL 16+ asks ADMIN OPTION on it.
    await c.query(`grant pg_monitor to ${ADMIN} with admin option`);
  });
  passwords = Object.fromEntries(USERS.map((s) => [s, secret()]));
  await provision(USERS.map((s) => ({ role: postgresRole(s), password: passwords[s]! })));
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("one role per Postgres user", () => {
  it("every Postgres user of the contracts gets a login role named after it, with no other power", async () => {
    expect(USERS.length).toBeGreaterThan(0);
    const rows = await asUser(
      adminUrl(),
      async (c) =>
        (
          await c.query(
            `select rolname, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls, rolcanlogin,
                    (select count(*)::int from pg_auth_members m where m.member = r.oid) as memberships
               from pg_roles r where rolname = any($1) order by rolname`,
            [USERS.map(postgresRole)],
          )
        ).rows,
    );
    expect(rows).toEqual(
      USERS.map(postgresRole)
        .sort()
        .map((rolname) => ({
          rolname,
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
          rolinherit: false,
          rolreplication: false,
          rolbypassrls: false,
          rolcanlogin: true,
          memberships: 0,
        })),
    );
  });

  it.each(USERS)(
    "%s runs its real migrations as its role; every table lands in its own schema",
    async (s) => {
      const db = await openDatabase({ url: urlOf(postgresRole(s), passwords[s]!) });
      try {
        const applied = await migrateService(await loadDefinition(s), db);
        expect(applied.length).toBeGreaterThan(0);
        const schemas = await db.query(
          "select distinct table_schema from information_schema.tables where table_catalog = 'llmops' and table_schema not in ('pg_catalog', 'information_schema')",
        );
        // information_schema shows only what the role may see: its own schema.
        expect(schemas.rows).toEqual([{ table_schema: postgresRole(s) }]);
        const owners = await db.query("select distinct tableowner from pg_tables where schemaname = $1", [
          postgresRole(s),
        ]);
        expect(owners.rows).toEqual([{ tableowner: postgresRole(s) }]);
      } finally {
        await db.close();
      }
    },
  );

  it("a service reaches nothing outside its schema: not public, not another service's tables, no temp tables", async () => {
    const [a, b] = USERS as [string, string];
    // b's migrations ran in the test above (it.each runs first); make sure anyway.
    const dbB = await openDatabase({ url: urlOf(postgresRole(b), passwords[b]!) });
    await migrateService(await loadDefinition(b), dbB);
    await dbB.close();
    await asUser(urlOf(postgresRole(a), passwords[a]!), async (c) => {
      await expect(c.query("create table public.leak (x int)")).rejects.toThrow(/permission denied/);
      await expect(c.query(`select * from ${postgresRole(b)}.schema_migrations`)).rejects.toThrow(
        /permission denied for schema/,
      );
      await expect(c.query("create temp table scratch (x int)")).rejects.toThrow(/permission denied/);
      await expect(c.query("create schema mine")).rejects.toThrow(/permission denied/);
      await expect(c.query(`create role sneaky`)).rejects.toThrow(/permission denied/);
    });
  });

  it("a role may connect only to the stack's database with its password", async () => {
    const [a] = USERS as [string];
    await expect(asUser(urlOf(postgresRole(a), "wrong-password-123456"), async () => {})).rejects.toThrow(
      /password authentication failed/,
    );
    // A role that is not provisioned (a typo'd URL) is refused the same way.
    await expect(asUser(urlOf("nobody", "whatever-password-1234"), async () => {})).rejects.toThrow(
      /password authentication failed/,
    );
  });

  it("provisioning again is harmless and rotates a password: data stays, the old password stops working", async () => {
    const [a] = USERS as [string];
    const role = postgresRole(a);
    const before = await asUser(
      urlOf(role, passwords[a]!),
      async (c) => (await c.query("select count(*)::int as n from schema_migrations")).rows[0].n,
    );
    const rotated = secret();
    await provision(
      USERS.map((s) => ({ role: postgresRole(s), password: s === a ? rotated : passwords[s]! })),
    );
    await expect(asUser(urlOf(role, passwords[a]!), async () => {})).rejects.toThrow(
      /password authentication/,
    );
    const after = await asUser(urlOf(role, rotated), async (c) => {
      const search = (await c.query("show search_path")).rows[0].search_path;
      return { n: (await c.query("select count(*)::int as n from schema_migrations")).rows[0].n, search };
    });
    expect(after).toEqual({ n: before, search: role });
    passwords[a] = rotated;
  });

  it("all or nothing: a bad entry leaves every role as it was", async () => {
    const fresh = "brand_new_service";
    await expect(
      provision([
        { role: fresh, password: secret() },
        { role: fresh, password: secret() },
      ]),
    ).rejects.toThrow(/listed twice/);
    await expect(
      provision([
        { role: fresh, password: secret() },
        { role: ADMIN, password: secret() },
      ]),
    ).rejects.toThrow(/admin login itself/);
    // Refused by the server half-way (the admin login may not touch a superuser): the first role's
    // statements, already sent, are rolled back with the rest.
    await expect(
      provision([
        { role: fresh, password: secret() },
        { role: "postgres", password: secret() },
      ]),
    ).rejects.toThrow(/superuser/);
    const found = await asUser(
      adminUrl(),
      async (c) => (await c.query("select 1 from pg_roles where rolname = $1", [fresh])).rowCount,
    );
    expect(found).toBe(0);
  });
});

describe("the monitoring login (the metrics exporter's)", () => {
  const monitor = () => ({ role: POSTGRES_MONITOR_ROLE, password: monitorPassword });
  let monitorPassword = secret();
  const asMonitor = <T>(fn: (c: pg.Client) => Promise<T>) =>
    asUser(urlOf(POSTGRES_MONITOR_ROLE, monitorPassword), fn);
  const services = () => USERS.map((s) => ({ role: postgresRole(s), password: passwords[s]! }));

  beforeAll(async () => {
    await asUser(adminUrl(), (c) => provisionRoles(c, services(), undefined, monitor()));
    const [a] = USERS as [string];
    const db = await openDatabase({ url: urlOf(postgresRole(a), passwords[a]!) });
    await migrateService(await loadDefinition(a), db);
    await db.close();
  });

  it("is a login holding pg_monitor and nothing else", async () => {
    const row = await asUser(
      adminUrl(),
      async (c) =>
        (
          await c.query(
            `select rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls, rolcanlogin,
                    array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid
                           where m.member = r.oid order by 1) as member_of,
                    (select count(*)::int from pg_namespace n where n.nspowner = r.oid) as schemas
               from pg_roles r where rolname = $1`,
            [POSTGRES_MONITOR_ROLE],
          )
        ).rows[0],
    );
    // Inherit: pg_monitor's rights only apply to a member that inherits them.
    expect(row).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolinherit: true,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
      member_of: ["pg_monitor"],
      schemas: 0,
    });
  });

  it("reads what the exporter scrapes: pg_stat_database, every session of pg_stat_activity, max_connections", async () => {
    await asUser(adminUrl(), async (admin) => {
      await admin.query("select 1 as held_open");
      const seen = await asMonitor(async (c) => ({
        db: (
          await c.query(
            "select numbackends, xact_commit, blks_hit, deadlocks from pg_stat_database where datname = 'llmops'",
          )
        ).rowCount,
        size: (await c.query("select pg_database_size('llmops') > 0 as ok")).rows[0].ok,
        // Another role's session with its query text: pg_read_all_stats (part of pg_monitor).
        others: (
          await c.query(
            "select query from pg_stat_activity where usename = $1 and query <> '<insufficient privilege>'",
            [ADMIN],
          )
        ).rows.map((r) => r.query),
        max: (await c.query("select setting from pg_settings where name = 'max_connections'")).rows[0]
          .setting,
      }));
      expect(seen.db).toBe(1);
      expect(seen.size).toBe(true);
      expect(seen.others).toContain("select 1 as held_open");
      expect(Number(seen.max)).toBeGreaterThan(0);
    });
  });

  it("reads no service's data and creates nothing", async () => {
    const [a] = USERS as [string];
    await asMonitor(async (c) => {
      await expect(c.query(`select * from ${postgresRole(a)}.schema_migrations`)).rejects.toThrow(
        /permission denied for schema/,
      );
      await expect(c.query("create table public.leak (x int)")).rejects.toThrow(/permission denied/);
      await expect(c.query("create temp table scratch (x int)")).rejects.toThrow(/permission denied/);
      await expect(c.query("create schema mine")).rejects.toThrow(/permission denied/);
      await expect(c.query("create role sneaky")).rejects.toThrow(/permission denied/);
    });
  });

  it("provisioning again rotates its password; a service role may not double as it", async () => {
    const old = monitorPassword;
    monitorPassword = secret();
    await asUser(adminUrl(), (c) => provisionRoles(c, services(), undefined, monitor()));
    await expect(asUser(urlOf(POSTGRES_MONITOR_ROLE, old), async () => {})).rejects.toThrow(
      /password authentication failed/,
    );
    expect(await asMonitor(async (c) => (await c.query("select current_user as u")).rows[0].u)).toBe(
      POSTGRES_MONITOR_ROLE,
    );
    const [a] = USERS as [string];
    await expect(
      asUser(adminUrl(), (c) =>
        provisionRoles(c, services(), undefined, { role: postgresRole(a), password: secret() }),
      ),
    ).rejects.toThrow(/listed twice/);
  });
});

describe("the roles entry (the admin Job's command)", () => {
  const run = (env: Record<string, string>) =>
    spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "services/run.ts"), USERS[0]!, "roles"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH!, ...env },
      timeout: 60_000,
    });
  const rolesDir = (urls: Record<string, string>) => {
    const d = mkdtempSync(join(dir, "mounted-"));
    for (const [folder, url] of Object.entries(urls)) {
      mkdirSync(join(d, folder));
      writeFileSync(join(d, folder, "url"), `${url}\n`);
    }
    return d;
  };

  it("provisions the role of every mounted service URL, and the service then connects with that URL", async () => {
    const url = urlOf("entry_made", secret());
    const r = run({ DATABASE_URL: adminUrl(), POSTGRES_ROLES_DIR: rolesDir({ "entry-made": url }) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(await asUser(url, async (c) => (await c.query("select current_user as u")).rows[0].u)).toBe(
      "entry_made",
    );
  });

  it("with POSTGRES_MONITOR_URL_FILE it provisions the monitoring login too, and refuses any other role there", async () => {
    const password = secret();
    const file = join(mkdtempSync(join(dir, "monitor-")), "url");
    writeFileSync(file, `${urlOf(POSTGRES_MONITOR_ROLE, password)}\n`);
    const roles = rolesDir({ "entry-made": urlOf("entry_made", secret()) });
    const r = run({ DATABASE_URL: adminUrl(), POSTGRES_ROLES_DIR: roles, POSTGRES_MONITOR_URL_FILE: file });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(
      await asUser(
        urlOf(POSTGRES_MONITOR_ROLE, password),
        async (c) => (await c.query("select 1 as one")).rows[0].one,
      ),
    ).toBe(1);
    writeFileSync(file, `${urlOf("entry_made", secret())}\n`);
    const refused = run({
      DATABASE_URL: adminUrl(),
      POSTGRES_ROLES_DIR: roles,
      POSTGRES_MONITOR_URL_FILE: file,
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/role "entry_made" is not the monitoring login llmops_monitor/);
  });

  it("bad config is one message and exit 2, naming the file and never printing a password", () => {
    const leaked = "leaked-password-abcdef";
    const r = run({
      DATABASE_URL: adminUrl(),
      POSTGRES_ROLES_DIR: rolesDir({ a: `mysql://x:${leaked}@h/db`, b: urlOf("Bad-Name", leaked) }),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/a\/url: not a postgres:\/\/ URL/);
    expect(r.stderr).toMatch(/b\/url: role "Bad-Name" is not a lower-case SQL identifier/);
    expect(r.stderr).not.toContain(leaked);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = run({ POSTGRES_ROLES_DIR: "/nonexistent" });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/DATABASE_URL/);
  });

  it("a refused statement is exit 1 with the server's reason", () => {
    const r = run({
      DATABASE_URL: urlOf(ADMIN, "not-the-admin-password"),
      POSTGRES_ROLES_DIR: rolesDir({ x: urlOf("x_service", secret()) }),
    });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/password authentication failed/);
  });
});
