/**
 * A stack deployed before per-service roles, upgraded: every service ran its migrations as the admin
 * login, so its tables, its bookkeeping and the shared bus tables are in `public`. The roles step of
 * each Postgres user's image (the Job runs them one after the other) moves that service's own objects
 * and rows into its schema, leaves everything else where it is, and changes nothing when run again.
 * On a real PostgreSQL server with a non-superuser admin login, as on RDS, Cloud SQL and Azure.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Database,
  legacyService,
  migrateService,
  openDatabase,
  provisionRoles,
  type ServiceRole,
} from "@llmops/shared";
import { cloudSqlIamUser, postgresRole } from "../services/shared/src/contract.ts";
import { CONTRACTS, loadDefinition } from "../services/services.ts";
import { asUser, loginUrl, startPostgres, type TestPostgres } from "./helpers/postgres.ts";

const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);
const ADMIN = "llmops_admin";
const ADMIN_PASSWORD = "admin-password-0123456789";
const BUS_TABLES = ["bus_dead_letters", "bus_outbox", "bus_processed"];

let server: TestPostgres;
const urlOf = (user: string, password: string, database: string) =>
  loginUrl(server.url, user, password, database);

async function withDb<T>(url: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ url });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Values a table's checks allow where a column's type alone does not say (cost_budgets.period). */
const CHECKED: Record<string, string> = { period: "'day'" };

/** A value of a column's type, for a row the test can recognise. */
function valueFor(column: string, type: string): string {
  if (CHECKED[column]) return CHECKED[column];
  if (/int|numeric|double|real/.test(type)) return "7";
  if (/timestamp|date/.test(type)) return "now()";
  if (type === "boolean") return "true";
  if (/json/.test(type)) return "'{}'";
  if (type === "uuid") return "'00000000-0000-4000-8000-000000000007'";
  if (type === "ARRAY") return "'{}'";
  return "'legacy'";
}

/** One row in a table, every required column filled by its type. */
async function seedRow(c: pg.Client, schema: string, table: string): Promise<void> {
  const cols = (
    await c.query<{ column_name: string; data_type: string }>(
      `select column_name, data_type from information_schema.columns
        where table_schema = $1 and table_name = $2 and is_nullable = 'NO'
          and column_default is null and is_identity = 'NO'
        order by ordinal_position`,
      [schema, table],
    )
  ).rows;
  const names = cols.map((col) => pg.escapeIdentifier(col.column_name)).join(", ");
  const values = cols.map((col) => valueFor(col.column_name, col.data_type)).join(", ");
  await c.query(
    cols.length
      ? `insert into ${schema}.${table} (${names}) values (${values})`
      : `insert into ${schema}.${table} default values`,
  );
}

const tablesOf = async (c: pg.Client, schema: string) =>
  (
    await c.query<{ t: string }>("select tablename as t from pg_tables where schemaname = $1 order by 1", [
      schema,
    ])
  ).rows.map((r) => r.t);

const passwords = Object.fromEntries(USERS.map((s) => [s, randomBytes(18).toString("base64url")]));
const roles = (): ServiceRole[] => USERS.map((s) => ({ role: postgresRole(s), password: passwords[s]! }));

/** Each service's own tables, as the old layout left them in public, and their rows there. */
const ownTables: Record<string, string[]> = {};
const legacyRows: Record<string, unknown[]> = {};
const LEGACY = "legacy";
const adminUrl = () => urlOf(ADMIN, ADMIN_PASSWORD, LEGACY);

/** The Job: every Postgres user's image runs the roles step, one after the other. */
async function rolesJob() {
  const out: Record<string, unknown> = {};
  for (const s of USERS)
    out[s] = await asUser(adminUrl(), async (c) =>
      provisionRoles(c, roles(), legacyService(await loadDefinition(s))),
    );
  return out;
}

/** Everything an upgrade may change: per schema, each table's owner and rows. */
async function snapshot() {
  return asUser(adminUrl(), async (c) => {
    const out: Record<string, unknown> = {};
    for (const schema of ["public", ...USERS.map(postgresRole)])
      for (const t of await tablesOf(c, schema)) {
        const owner = (
          await c.query("select tableowner from pg_tables where schemaname = $1 and tablename = $2", [
            schema,
            t,
          ])
        ).rows[0].tableowner;
        const rows = (await c.query(`select * from ${schema}.${t} order by 1`)).rows;
        out[`${schema}.${t}`] = { owner, rows: rows.map((r) => JSON.stringify(r)) };
      }
    return out;
  });
}

beforeAll(async () => {
  server = await startPostgres({ passwords: true });
  await asUser(server.url, async (c) => {
    await c.query(`create role ${ADMIN} login createrole password '${ADMIN_PASSWORD}'`);
    await c.query(`create database ${LEGACY} owner ${ADMIN}`);
  });
  // The old layout: every service migrated as the admin login, into public.
  for (const s of USERS) {
    const before = await asUser(adminUrl(), (c) => tablesOf(c, "public"));
    await withDb(adminUrl(), async (db) => migrateService(await loadDefinition(s), db));
    const after = await asUser(adminUrl(), (c) => tablesOf(c, "public"));
    ownTables[s] = after.filter(
      (t) => !before.includes(t) && !BUS_TABLES.includes(t) && t !== "schema_migrations",
    );
  }
  await asUser(adminUrl(), async (c) => {
    for (const s of USERS) for (const t of ownTables[s]!) await seedRow(c, "public", t);
    for (const s of USERS) {
      const contract = CONTRACTS.find((x) => x.name === s)!;
      await c.query("insert into public.bus_processed (consumer, event_id) values ($1, 'e-1')", [
        `${s}-group`,
      ]);
      await c.query(
        `insert into public.bus_dead_letters (consumer, topic, partition, "offset", value, reason)
         values ($1, 't', 0, '1', 'v', 'bad')`,
        [`${s}-group`],
      );
      for (const topic of contract.produces)
        await c.query("insert into public.bus_outbox (topic, value) values ($1, $2)", [topic, `from ${s}`]);
    }
    // Not any service's: an operator's table, and bus rows of a consumer and topic no service has.
    await c.query("create table public.operator_notes (note text)");
    await c.query("insert into public.operator_notes values ('keep me')");
    await c.query("insert into public.bus_processed (consumer, event_id) values ('someone-else-x', 'e-9')");
    await c.query("insert into public.bus_outbox (topic, value) values ('not.ours', 'stay')");
    for (const s of USERS)
      for (const t of ownTables[s]!)
        legacyRows[t] = (await c.query(`select * from public.${t} order by 1`)).rows;
  });
});

afterAll(async () => {
  await server?.stop();
});

describe("upgrading a stack whose services' data is in public", () => {
  it("the old layout holds every service's tables in public, each with a seeded row", () => {
    expect(USERS.length).toBeGreaterThan(0);
    for (const s of USERS) expect(ownTables[s]!.length, s).toBeGreaterThan(0);
    for (const t of Object.values(ownTables).flat()) expect(legacyRows[t]!.length, t).toBeGreaterThan(0);
  });

  it("the roles Job moves each service's tables, bookkeeping and bus rows into its schema, owned by its role", async () => {
    const adopted = await rolesJob();
    for (const s of USERS)
      expect(adopted[s], s).toMatchObject({
        objects: expect.arrayContaining(ownTables[s]!.map((t) => `table ${t}`)),
        migrations: expect.any(Number),
      });
    await asUser(adminUrl(), async (c) => {
      for (const s of USERS) {
        const role = postgresRole(s);
        expect((await tablesOf(c, role)).sort(), s).toEqual(
          [...ownTables[s]!, ...BUS_TABLES, "schema_migrations"].sort(),
        );
        // Tables and the sequences of their serial columns: all the role's.
        const owners = await c.query(
          `select distinct pg_get_userbyid(relowner) as owner from pg_class
            where relnamespace = $1::regnamespace and relkind in ('r', 'S')`,
          [role],
        );
        expect(owners.rows, s).toEqual([{ owner: role }]);
      }
      // What is no service's stays in public, untouched.
      expect(await tablesOf(c, "public")).toEqual(
        [...BUS_TABLES, "operator_notes", "schema_migrations"].sort(),
      );
      expect((await c.query("select note from public.operator_notes")).rows).toEqual([{ note: "keep me" }]);
      expect((await c.query("select consumer from public.bus_processed")).rows).toEqual([
        { consumer: "someone-else-x" },
      ]);
      expect((await c.query("select topic from public.bus_outbox")).rows).toEqual([{ topic: "not.ours" }]);
      expect((await c.query("select count(*)::int as n from public.bus_dead_letters")).rows[0].n).toBe(0);
      // The bus's shared bookkeeping stays with the shared tables; each service's own moved.
      expect((await c.query("select distinct namespace from public.schema_migrations")).rows).toEqual([
        { namespace: "bus" },
      ]);
    });
  });

  it.each(USERS)(
    "%s then runs its real migrations as its role (nothing left to apply) and reads its moved rows",
    async (s) => {
      const role = postgresRole(s);
      const url = urlOf(role, passwords[s]!, LEGACY);
      const applied = await withDb(url, async (db) => migrateService(await loadDefinition(s), db));
      expect(applied).toEqual([]);
      await asUser(url, async (c) => {
        for (const t of ownTables[s]!) {
          const rows = (await c.query(`select * from ${t} order by 1`)).rows;
          expect(rows.length, t).toBeGreaterThan(0);
          expect(rows, t).toEqual(legacyRows[t]);
        }
        expect((await c.query("select consumer, event_id from bus_processed")).rows).toEqual([
          { consumer: `${s}-group`, event_id: "e-1" },
        ]);
        expect((await c.query("select consumer from bus_dead_letters")).rows).toEqual([
          { consumer: `${s}-group` },
        ]);
        const produces = CONTRACTS.find((x) => x.name === s)!.produces;
        expect((await c.query("select topic, value from bus_outbox order by seq")).rows).toEqual(
          produces.map((topic) => ({ topic, value: `from ${s}` })),
        );
        // A new row of its own goes to its schema, past the moved rows' sequence values.
        await c.query("insert into bus_outbox (topic, value) values ('x', 'new')");
        await c.query("delete from bus_outbox where value = 'new'");
      });
    },
  );

  it("running the Job again changes nothing", async () => {
    const before = await snapshot();
    const adopted = await rolesJob();
    for (const s of USERS) expect(adopted[s], s).toEqual({ objects: [], migrations: 0, busRows: 0 });
    expect(await snapshot()).toEqual(before);
  });

  it("a service that already ran in its own schema beside data left in public: refused, nothing moved", async () => {
    const [s] = USERS as [string];
    const role = postgresRole(s);
    const t = ownTables[s]![0]!;
    await asUser(adminUrl(), async (c) => {
      // The old layout again for one table, as if its data had never been moved.
      await c.query(`create table public.${t} (like ${role}.${t})`);
      await c.query("insert into public.schema_migrations (namespace, id) values ($1, 'legacy-0')", [s]);
    });
    const before = await snapshot();
    await expect(
      asUser(adminUrl(), async (c) => provisionRoles(c, roles(), legacyService(await loadDefinition(s)))),
    ).rejects.toThrow(new RegExp(`both public\\.${t} and ${role}\\.${t} exist`));
    expect(await snapshot()).toEqual(before);
  });

  it("with Cloud SQL IAM users (gcp-iam) the service's objects move into its schema, owned by its IAM user", async () => {
    const [s] = USERS as [string];
    const database = "legacy_gcp";
    const iamUser = cloudSqlIamUser(`${s}@my-project.iam.gserviceaccount.com`);
    await asUser(server.url, async (c) => {
      await c.query(`create database ${database} owner ${ADMIN}`);
      // Cloud SQL makes its IAM users itself; the superuser stands in for it.
      await c.query(`create role ${pg.escapeIdentifier(iamUser)} login`);
    });
    const url = urlOf(ADMIN, ADMIN_PASSWORD, database);
    await withDb(url, async (db) => migrateService(await loadDefinition(s), db));
    const adopted = await asUser(url, async (c) =>
      provisionRoles(
        c,
        [{ role: iamUser, auth: "gcp-iam", schema: postgresRole(s) }],
        legacyService(await loadDefinition(s)),
      ),
    );
    expect(adopted?.objects).toEqual(expect.arrayContaining(ownTables[s]!.map((t) => `table ${t}`)));
    const owners = await asUser(url, async (c) => ({
      own: (
        await c.query("select distinct tableowner from pg_tables where schemaname = $1", [postgresRole(s)])
      ).rows.map((r) => r.tableowner),
      public: await tablesOf(c, "public"),
    }));
    expect(owners.own).toEqual([iamUser]);
    for (const t of ownTables[s]!) expect(owners.public).not.toContain(t);
  });
});
