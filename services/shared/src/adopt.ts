/**
 * The upgrade from the layout before per-service roles. Then every service connected as the admin
 * login with the default search_path, so its tables (with their sequences and indexes) and its types
 * are in `public`, its migration bookkeeping is public.schema_migrations (namespace = the service's
 * name), and the bus tables (bus_outbox, bus_processed, bus_dead_letters) are one set shared by all.
 *
 * The roles step (roles.ts, as the admin login, in its one transaction) hands a service what is its
 * own: the objects its migrations create, found by running them in a probe schema that is rolled
 * back, are moved from `public` into its schema and given to its role, with its bookkeeping rows; of
 * the shared bus tables it gets its own tables and the rows that are its own (its consumer groups'
 * processed ids and dead letters, the outbox rows of the topics it produces). It does so only for a
 * service the bookkeeping in `public` names, and never touches an object its migrations do not
 * create. A service already adopted has no bookkeeping left in `public`: a rerun changes nothing.
 */
import pg from "pg";
import { busMigrations } from "./bus/migrations.ts";
import { postgresRole } from "./contract.ts";
import { type Migration, SCHEMA_MIGRATIONS_DDL } from "./db.ts";
import type { ServiceDefinition } from "./runtime.ts";

export interface LegacyService {
  /** The service's name: its namespace in schema_migrations and the prefix of its consumer groups. */
  name: string;
  /** Its role, which is also the schema it owns. */
  role: string;
  /** Its own migrations (namespace = name); the bus's migrations are every service's. */
  migrations: Migration[];
  /** The topics it produces: its rows of the shared outbox. */
  produces: readonly string[];
}

/** What a service definition says of its objects: its name, role, migrations and produced topics. */
export function legacyService(def: ServiceDefinition<any, any, any>): LegacyService {
  const { name, produces } = def.contract;
  return { name, role: postgresRole(name), migrations: def.migrations ?? [], produces };
}

export interface Adopted {
  /** Objects moved from public, as kind and name ("table cost_usage"). */
  objects: string[];
  /** Its migration bookkeeping rows moved from public. */
  migrations: number;
  /** Its rows of the shared bus tables moved into its own. */
  busRows: number;
}

type Kind = "table" | "view" | "materialized view" | "sequence" | "foreign table" | "type";
const RELKIND: Record<string, Kind> = {
  r: "table",
  p: "table",
  v: "view",
  m: "materialized view",
  S: "sequence",
  f: "foreign table",
};

/**
 * What `ALTER ... SET SCHEMA` moves one by one: relations and types of a schema. Indexes, and
 * sequences owned by a column, move with their table; a table's row type is the table's.
 */
interface DbObject {
  kind: Kind;
  name: string;
}

async function objectsIn(client: pg.ClientBase, schema: string): Promise<Map<string, DbObject>> {
  const rels = await client.query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind as kind from pg_class c
      where c.relnamespace = $1::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
        and not exists (select 1 from pg_depend d
                         where d.classid = 'pg_class'::regclass and d.objid = c.oid
                           and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i'))`,
    [schema],
  );
  const types = await client.query<{ name: string }>(
    `select t.typname as name from pg_type t
      where t.typnamespace = $1::regnamespace
        and (t.typtype in ('e', 'd', 'r')
             or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))`,
    [schema],
  );
  const out = new Map<string, DbObject>();
  const add = (o: DbObject) => out.set(`${o.kind} ${o.name}`, o);
  for (const r of rels.rows) add({ kind: RELKIND[r.kind]!, name: r.name });
  for (const t of types.rows) add({ kind: "type", name: t.name });
  return out;
}

/** The objects the migrations create, bus and the service's own apart: run in a schema rolled back. */
async function probe(
  client: pg.ClientBase,
  own: Migration[],
): Promise<{ bus: Map<string, DbObject>; own: Map<string, DbObject> }> {
  const schema = "llmops_adopt_probe";
  await client.query("savepoint adopt_probe");
  try {
    await client.query(`create schema ${schema}`);
    await client.query("select set_config('search_path', $1, true)", [schema]);
    const byId = (ms: Migration[]) => [...ms].sort((a, b) => a.id.localeCompare(b.id));
    for (const m of byId(busMigrations)) await client.query(m.sql);
    const bus = await objectsIn(client, schema);
    for (const m of byId(own)) await client.query(m.sql);
    const all = await objectsIn(client, schema);
    return { bus, own: new Map([...all].filter(([key]) => !bus.has(key))) };
  } finally {
    // Undoes the probe schema and the search_path with it.
    await client.query("rollback to savepoint adopt_probe");
    await client.query("release savepoint adopt_probe");
  }
}

/**
 * Moves a service's own objects and rows from the old layout's `public` into its schema; call inside
 * the roles transaction, after its role and schema exist. `owner` is the role its schema belongs to:
 * `s.role` but for a Cloud SQL IAM user, whose name is not its schema's. Refuses (the transaction rolls back) where
 * the service's schema already holds an object of the same name: the service ran in its schema before
 * its data was moved, and merging two copies is an operator's decision (docs/operations.md).
 */
export async function adoptLegacy(
  client: pg.ClientBase,
  s: LegacyService,
  owner: string = s.role,
): Promise<Adopted> {
  const none: Adopted = { objects: [], migrations: 0, busRows: 0 };
  const bookkept = await client.query<{ has: boolean }>(
    "select to_regclass('public.schema_migrations') is not null as has",
  );
  if (!bookkept.rows[0]!.has) return none;
  const legacyIds = await client.query("select 1 from public.schema_migrations where namespace = $1", [
    s.name,
  ]);
  if (legacyIds.rowCount === 0) return none;

  const role = pg.escapeIdentifier(s.role);
  const ownerId = pg.escapeIdentifier(owner);
  const made = await probe(client, s.migrations);
  const inPublic = await objectsIn(client, "public");
  const inSchema = await objectsIn(client, s.role);
  const objects: string[] = [];
  for (const [key, o] of made.own) {
    if (!inPublic.has(key)) continue;
    if (inSchema.has(key))
      throw new Error(
        `${s.role}: both public.${o.name} and ${s.role}.${o.name} exist; the service ran in its schema before its data in public was moved (docs/operations.md)`,
      );
    const name = pg.escapeIdentifier(o.name);
    await client.query(`alter ${o.kind} public.${name} set schema ${role}`);
    await client.query(`alter ${o.kind} ${role}.${name} owner to ${ownerId}`);
    objects.push(key);
  }

  const saved = (await client.query<{ p: string }>("select current_setting('search_path') as p")).rows[0]!.p;
  await client.query("select set_config('search_path', $1, true)", [s.role]);
  let busRows = 0;
  try {
    await client.query(SCHEMA_MIGRATIONS_DDL);
    await client.query(`alter table ${role}.schema_migrations owner to ${ownerId}`);
    const moved = await client.query(
      `with moved as (delete from public.schema_migrations where namespace = $1 returning namespace, id, applied_at)
       insert into ${role}.schema_migrations (namespace, id, applied_at) select * from moved on conflict do nothing`,
      [s.name],
    );
    // The service's own bus tables, complete (so its bus migrations are done), and its rows of the shared ones.
    if ([...made.bus.keys()].some((k) => inPublic.has(k))) {
      for (const m of [...busMigrations].sort((a, b) => a.id.localeCompare(b.id))) await client.query(m.sql);
      for (const o of made.bus.values())
        await client.query(`alter ${o.kind} ${role}.${pg.escapeIdentifier(o.name)} owner to ${ownerId}`);
      for (const m of busMigrations)
        await client.query(
          `insert into ${role}.schema_migrations (namespace, id) values ('bus', $1) on conflict do nothing`,
          [m.id],
        );
      const prefix = `${s.name}-`;
      const ownConsumer = "left(consumer, length($1)) = $1";
      const moves: [string, string, unknown[]][] = [
        [
          "table bus_processed",
          `with moved as (delete from public.bus_processed where ${ownConsumer} returning consumer, event_id, processed_at)
           insert into ${role}.bus_processed (consumer, event_id, processed_at) select * from moved on conflict do nothing`,
          [prefix],
        ],
        [
          "table bus_dead_letters",
          `with moved as (delete from public.bus_dead_letters where ${ownConsumer}
                           returning seq, consumer, topic, partition, "offset", key, value, reason, received_at)
           insert into ${role}.bus_dead_letters (consumer, topic, partition, "offset", key, value, reason, received_at)
           select consumer, topic, partition, "offset", key, value, reason, received_at from moved order by seq`,
          [prefix],
        ],
        [
          "table bus_outbox",
          `with moved as (delete from public.bus_outbox where topic = any($1::text[]) returning seq, topic, key, value, created_at)
           insert into ${role}.bus_outbox (topic, key, value, created_at)
           select topic, key, value, created_at from moved order by seq`,
          [[...s.produces]],
        ],
      ];
      for (const [table, sql, params] of moves)
        if (inPublic.has(table)) busRows += (await client.query(sql, params)).rowCount ?? 0;
    }
    return { objects, migrations: moved.rowCount ?? 0, busRows };
  } finally {
    await client.query("select set_config('search_path', $1, true)", [saved]);
  }
}
