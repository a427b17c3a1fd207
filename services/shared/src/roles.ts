/**
 * Least-privilege Postgres roles, one per service: run by the admin Job of a deployment (entry.ts
 * `runRoles`) with the managed server's admin login. Each service role gets LOGIN and nothing else
 * (no CREATEDB, CREATEROLE, membership or inheritance), a schema of its own that it owns and finds
 * first on its search_path, CONNECT on the one database, and no reach into `public` or another
 * service's schema. The statements are idempotent, so the Job may run again at every change, and a
 * rerun with a new password rotates it.
 *
 * Managed servers' admin logins are not superusers (RDS rds_superuser, Cloud SQL cloudsqlsuperuser,
 * Azure azure_pg_admin): they hold CREATEROLE and own the database. To create a schema owned by
 * another role such a login must be a member of that role (PostgreSQL 16+: able to SET ROLE to it),
 * hence the grant of each service role to the admin login.
 *
 * How the services log in (POSTGRES_ROLES_AUTH) changes only how a role is made, never its schema,
 * ownership, revokes or search_path: `password` with the URL's password; `aws-iam` LOGIN without a
 * password and a member of rds_iam (RDS then takes its IAM tokens); `gcp-iam` the Cloud SQL IAM user
 * Cloud SQL made, required to exist, owning the schema named after its service; `azure-entra` an
 * Entra principal for the managed identity's object id (Azure's pgaadauth_create_principal_with_oid,
 * called by the Job logged in as the server's Entra administrator), then LOGIN without a password.
 *
 * The monitoring login (the metrics exporter's) gets pg_monitor, which it must inherit to use, and
 * CONNECT: no schema, no table, no CREATE anywhere. Granting pg_monitor takes ADMIN OPTION on it
 * (PostgreSQL 16+), which the managed admin logins hold through their provider's admin role.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { type Adopted, adoptLegacy, type LegacyService } from "./adopt.ts";
import {
  GCP_IAM_ROLE,
  POSTGRES_MONITOR_ROLE,
  POSTGRES_ROLE,
  POSTGRES_ROLE_OBJECT_ID_FILE,
  POSTGRES_ROLE_URL_FILE,
  postgresRole,
} from "./contract.ts";
import type { DatabaseAuth } from "./env.ts";

export interface ServiceRole {
  role: string;
  /** How the service logs in (POSTGRES_ROLES_AUTH): its password (the default) or a cloud token. */
  auth?: DatabaseAuth;
  /** password: its password. */
  password?: string;
  /** The schema it owns: its role's name, but a Cloud SQL IAM user's (gcp-iam) is its service's postgresRole. */
  schema?: string;
  /** azure-entra: the object id of its managed identity, which its Entra principal is created for. */
  objectId?: string;
}

export const schemaOf = (r: ServiceRole): string => r.schema ?? r.role;

/** Role and password of a service's connection URL: the URL the service uses is the one truth. */
export function roleOfUrl(url: string, auth: DatabaseAuth = "password"): ServiceRole {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error("not a postgres:// URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:")
    throw new Error(`not a postgres:// URL (${parsed.protocol})`);
  const role = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  if (auth === "gcp-iam") {
    if (!GCP_IAM_ROLE.test(role))
      throw new Error(`role "${role}" is not a Cloud SQL IAM user name (<account>@<project>.iam)`);
  } else if (!POSTGRES_ROLE.test(role)) throw new Error(`role "${role}" is not a lower-case SQL identifier`);
  if (auth !== "password") {
    if (password) throw new Error(`role ${role}: a token login (${auth}) carries no password in its URL`);
    return { role, auth };
  }
  if (password.length < 16) throw new Error(`role ${role}: the password must have at least 16 characters`);
  return { role, password };
}

/** What the server holds of a role when the Job starts (provisionRoles reads it). */
export interface RoleState {
  exists: boolean;
  /** gcp-iam: a role named like the schema exists, the service's password login of before. */
  predecessor?: boolean;
  /** azure-entra: the pgaadauth security label of the role, which maps it to an Entra object. */
  entraLabel?: string;
}

/** The pgaadauth security label of an Entra principal for a managed identity (Azure's documented form). */
export const entraLabel = (objectId: string) => `aadauth,oid=${objectId},type=service`;

/** The statements that bring one role to its intended state, in order (admin login, `database`). */
export function roleStatements(database: string, admin: string, r: ServiceRole, state: RoleState): string[] {
  const role = pg.escapeIdentifier(r.role);
  const schema = pg.escapeIdentifier(schemaOf(r));
  const db = pg.escapeIdentifier(database);
  const auth = r.auth ?? "password";
  const { exists } = state;
  const attributes = "with login noinherit nocreatedb nocreaterole";
  // A token login keeps no password: one left from a password login would still open the role.
  const password = auth === "password" ? `password ${pg.escapeLiteral(r.password!)}` : "password null";
  const login: Record<DatabaseAuth, string[]> = {
    password: [`${exists ? "alter" : "create"} role ${role} ${attributes} ${password}`],
    // RDS accepts an IAM token for a member of rds_iam (and then no password).
    "aws-iam": [
      `${exists ? "alter" : "create"} role ${role} ${attributes} ${password}`,
      `grant rds_iam to ${role}`,
    ],
    // Cloud SQL makes (and authenticates) its IAM users itself; provisionRoles has checked this one exists.
    "gcp-iam": [],
    // Azure's pgaadauth extension makes a role that logs in with the Entra tokens of that object id;
    // a role already there (the password login of before, or mapped to a recreated identity) is
    // mapped to this one by its label.
    "azure-entra": [
      ...(!exists
        ? [
            `select * from pgaadauth_create_principal_with_oid(${pg.escapeLiteral(r.role)}, ${pg.escapeLiteral(r.objectId!)}, 'service', false, false)`,
          ]
        : state.entraLabel !== entraLabel(r.objectId!)
          ? [`security label for pgaadauth on role ${role} is ${pg.escapeLiteral(entraLabel(r.objectId!))}`]
          : []),
      `alter role ${role} ${attributes} ${password}`,
    ],
  };
  // gcp-iam after password logins: what the service's old role owns (its schema, tables, sequences)
  // becomes the IAM user's, and the old role no longer logs in.
  const handover =
    auth === "gcp-iam" && state.predecessor
      ? [`reassign owned by ${schema} to ${role}`, `alter role ${schema} with nologin password null`]
      : [];
  return [
    ...login[auth],
    `grant ${role} to ${pg.escapeIdentifier(admin)}`,
    ...handover,
    `create schema if not exists ${schema} authorization ${role}`,
    // A schema left by an earlier owner (a restore, a manual fix) is handed back to its service.
    `alter schema ${schema} owner to ${role}`,
    `revoke all on schema ${schema} from public`,
    `grant connect on database ${db} to ${role}`,
    `alter role ${role} in database ${db} set search_path to ${schema}`,
  ];
}

/** The statements that bring the monitoring login to its state: pg_monitor and CONNECT, nothing else. */
export function monitorStatements(database: string, r: ServiceRole, exists: boolean): string[] {
  const role = pg.escapeIdentifier(r.role);
  const password = pg.escapeLiteral(r.password!);
  return [
    exists
      ? `alter role ${role} with login inherit nocreatedb nocreaterole password ${password}`
      : `create role ${role} with login inherit nocreatedb nocreaterole password ${password}`,
    `grant pg_monitor to ${role}`,
    `grant connect on database ${pg.escapeIdentifier(database)} to ${role}`,
  ];
}

/** What every role loses: public's CREATE/USAGE and the database's default CONNECT and TEMP. */
export function databaseStatements(database: string): string[] {
  const db = pg.escapeIdentifier(database);
  return [`revoke all on schema public from public`, `revoke all on database ${db} from public`];
}

/**
 * Brings every role (and the monitoring login, when given) to its state in one transaction (all or nothing): a half-provisioned set would
 * leave some service's migration failing for reasons its logs cannot show. With `adopt`, in the same
 * transaction, that service's objects and rows of the layout before per-service roles move from
 * `public` into its schema (adopt.ts).
 */
export async function provisionRoles(
  client: pg.ClientBase,
  roles: ServiceRole[],
  adopt?: LegacyService,
  monitor?: ServiceRole,
): Promise<Adopted | undefined> {
  const names = [...roles.map((r) => r.role), ...(monitor ? [monitor.role] : [])];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`role ${dup} is listed twice`);
  const schemas = roles.map(schemaOf);
  const twice = schemas.find((n, i) => schemas.indexOf(n) !== i);
  if (twice) throw new Error(`schema ${twice} is listed twice`);
  const { database, admin } = (
    await client.query<{ database: string; admin: string }>(
      "select current_database() as database, current_user as admin",
    )
  ).rows[0]!;
  if (names.includes(admin)) throw new Error(`role ${admin} is the admin login itself`);
  const adopter = adopt && roles.find((r) => schemaOf(r) === adopt.role);
  if (adopt && !adopter)
    throw new Error(`role ${adopt.role} (of ${adopt.name}) is not among the roles to provision`);
  await client.query("begin");
  try {
    for (const sql of databaseStatements(database)) await client.query(sql);
    for (const r of roles) {
      const state = await roleState(client, r);
      if (!state.exists && r.auth === "gcp-iam")
        throw new Error(
          `role "${r.role}" does not exist: Cloud SQL creates an IAM user for the service account (a CLOUD_IAM_SERVICE_ACCOUNT user of the instance), and the roles Job runs after it`,
        );
      for (const sql of roleStatements(database, admin, r, state)) await client.query(sql);
    }
    if (monitor) {
      const exists =
        (await client.query("select 1 from pg_roles where rolname = $1", [monitor.role])).rowCount! > 0;
      for (const sql of monitorStatements(database, monitor, exists)) await client.query(sql);
    }
    const adopted = adopt ? await adoptLegacy(client, adopt, adopter!.role) : undefined;
    await client.query("commit");
    return adopted;
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  }
}

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function roleState(client: pg.ClientBase, r: ServiceRole): Promise<RoleState> {
  const found = await client.query<{ rolname: string; label: string | null }>(
    `select r.rolname, l.label from pg_roles r
       left join pg_shseclabel l on l.objoid = r.oid and l.classoid = 'pg_authid'::regclass and l.provider = 'pgaadauth'
      where r.rolname = any($1)`,
    [[r.role, schemaOf(r)]],
  );
  const own = found.rows.find((row) => row.rolname === r.role);
  return {
    exists: own !== undefined,
    predecessor: schemaOf(r) !== r.role && found.rows.some((row) => row.rolname === schemaOf(r)),
    ...(own?.label ? { entraLabel: own.label } : {}),
  };
}

/**
 * The roles a directory describes: one folder per service (its Secret mounted there, the folder
 * named after the service), each holding the service's DATABASE_URL in `url` and, for azure-entra,
 * its managed identity's object id in `object-id`. Problems are listed together, naming the file,
 * never its content.
 */
export function readRoles(
  dir: string,
  auth: DatabaseAuth = "password",
): { roles: ServiceRole[]; problems: string[] } {
  const roles: ServiceRole[] = [];
  const problems: string[] = [];
  let entries: string[];
  try {
    // Kubernetes' secret volumes carry ..data symlinks beside the keys: hidden names are not services.
    entries = readdirSync(dir)
      .filter((e) => !e.startsWith("."))
      .sort();
  } catch (err) {
    return { roles, problems: [`POSTGRES_ROLES_DIR ${dir}: ${(err as Error).message}`] };
  }
  if (entries.length === 0) problems.push(`POSTGRES_ROLES_DIR ${dir}: no service folder`);
  for (const e of entries) {
    const file = join(dir, e, POSTGRES_ROLE_URL_FILE);
    let role: ServiceRole;
    try {
      role = roleOfUrl(readFileSync(file, "utf8").trim(), auth);
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    if (auth === "gcp-iam") {
      role.schema = postgresRole(e);
      if (!POSTGRES_ROLE.test(role.schema))
        problems.push(`${join(dir, e)}: folder "${e}" gives no schema name (${role.schema})`);
    }
    if (auth === "azure-entra") {
      const idFile = join(dir, e, POSTGRES_ROLE_OBJECT_ID_FILE);
      try {
        role.objectId = readFileSync(idFile, "utf8").trim();
        if (!OBJECT_ID.test(role.objectId)) problems.push(`${idFile}: not an object id (a UUID)`);
      } catch (err) {
        problems.push(`${idFile}: ${(err as Error).message}`);
      }
    }
    roles.push(role);
  }
  return { roles, problems };
}

/**
 * The monitoring login from its mounted URL. Only POSTGRES_MONITOR_ROLE is accepted: a service's URL
 * mounted there by mistake would otherwise turn that service's role into a monitoring one.
 */
export function readMonitor(file: string): { monitor?: ServiceRole; problems: string[] } {
  let monitor: ServiceRole;
  try {
    monitor = roleOfUrl(readFileSync(file, "utf8").trim());
  } catch (err) {
    return { problems: [`${file}: ${(err as Error).message}`] };
  }
  if (monitor.role !== POSTGRES_MONITOR_ROLE)
    return {
      problems: [`${file}: role "${monitor.role}" is not the monitoring login ${POSTGRES_MONITOR_ROLE}`],
    };
  return { monitor, problems: [] };
}
