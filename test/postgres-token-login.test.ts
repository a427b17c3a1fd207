/**
 * Token logins to Postgres (DATABASE_AUTH gcp-iam, aws-iam, azure-entra; services/shared/src/db-auth.ts)
 * and the roles Job for them (POSTGRES_ROLES_AUTH; roles.ts), against a real PostgreSQL server over
 * verified TLS and local stand-ins for each cloud's token issuer: a GCE metadata server, an STS
 * answering AssumeRoleWithWebIdentity, an Entra token endpoint taking the federated client assertion.
 *
 * A vanilla server knows no cloud token, so the test makes one acceptable the only way it can: it sets
 * the role's password to the token the issuer hands out. A login then proves the token fetched by the
 * cloud's own library reached the server as the password; a new token, and the password changed to it,
 * proves the refresh; a token the role does not have is refused by the server itself.
 */
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { SignatureV4 } from "@smithy/signature-v4";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadServiceConfig, migrateService, openDatabase } from "@llmops/shared";
import { connectionConfig } from "../services/shared/src/db.ts";
import { AZURE_POSTGRES_SCOPE, GCP_SQL_LOGIN_SCOPE } from "../services/shared/src/db-auth.ts";
import {
  cloudSqlIamUser,
  POSTGRES_ROLE_OBJECT_ID_FILE,
  POSTGRES_ROLE_URL_FILE,
  POSTGRES_ROLES_AUTH_ENV,
  postgresRole,
} from "../services/shared/src/contract.ts";
import { CONTRACTS, loadDefinition } from "../services/services.ts";
import { runScript } from "./helpers/cli.ts";
import { ROOT } from "./helpers/plan.ts";
import { asUser, startPostgres, type TestPostgres } from "./helpers/postgres.ts";
import { makeTestCa, type TestCa } from "./helpers/tls.ts";

const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);
const bare = async (name: string) => {
  try {
    return Boolean(loadServiceConfig(await loadDefinition(name), {}));
  } catch {
    return false;
  }
};
// A, the service that migrates here, needs no setting of its own; B is any other Postgres user.
const A = (await Promise.all(USERS.map(async (s) => ((await bare(s)) ? s : undefined)))).find(Boolean)!;
const B = USERS.find((s) => s !== A)!;
const ADMIN_PASSWORD = "admin-password-0123456789";

let dir: string;
let ca: TestCa;
let server: TestPostgres;
let port: number;

/** A login URL with no password, verified TLS, as a token mode's DATABASE_URL is rendered. */
const tokenUrl = (user: string, database: string) =>
  `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}?sslmode=verify-full`;
const adminUrl = (admin: string, database: string) =>
  `postgres://${admin}:${ADMIN_PASSWORD}@127.0.0.1:${port}/${database}`;
const asSuper = <T>(database: string, fn: (c: pg.Client) => Promise<T>) => {
  const u = new URL(server.url);
  u.pathname = `/${database}`;
  return asUser(u.toString(), fn);
};
const setPassword = (role: string, token: string) =>
  asSuper("postgres", (c) =>
    c.query(`alter role ${pg.escapeIdentifier(role)} password ${pg.escapeLiteral(token)}`),
  );

/** A database owned by a managed-style admin login (CREATEROLE, not superuser) for one mode. */
async function managedDatabase(database: string, admin: string, password = ADMIN_PASSWORD): Promise<void> {
  await asSuper("postgres", async (c) => {
    await c.query(
      `create role ${pg.escapeIdentifier(admin)} login createrole password ${pg.escapeLiteral(password)}`,
    );
    await c.query(`create database ${database} owner ${pg.escapeIdentifier(admin)}`);
  });
}

/** The roles Job's input: one folder per service with its URL (and more files, per mode). */
function rolesDir(folders: Record<string, Record<string, string>>): string {
  const d = mkdtempSync(join(dir, "roles-"));
  for (const [folder, files] of Object.entries(folders)) {
    mkdirSync(join(d, folder));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(d, folder, name), `${content}\n`);
  }
  return d;
}

const entry = (service: string, command: "migrate" | "roles", env: Record<string, string>) =>
  runScript("services/run.ts", [service, command], { LOG_LEVEL: "warn", ...env });

/**
 * The roles Job for services logging in with `mode`, over these service folders (rolesDir), itself
 * logged in with `login` (its DATABASE_URL and, for a token admin, its own auth env).
 */
const rolesJob = (
  mode: string,
  login: Record<string, string>,
  folders: Record<string, Record<string, string>>,
) => entry(A, "roles", { ...login, POSTGRES_ROLES_DIR: rolesDir(folders), [POSTGRES_ROLES_AUTH_ENV]: mode });

/** One new connection with a pg config, as the pool opens each of its connections. */
async function connectWith<T>(config: pg.ClientConfig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const whoAmI = async (c: pg.Client) =>
  (await c.query("select current_user as user, current_setting('search_path') as path")).rows[0] as {
    user: string;
    path: string;
  };

/** A small HTTP(S) server on loopback: the handler answers each request, its body read in full. */
async function listen(
  handler: (
    req: http.IncomingMessage,
    body: string,
  ) => { status?: number; headers?: Record<string, string>; body: string },
  secure?: { cert: Buffer; key: Buffer },
): Promise<{ url: string; close(): Promise<void> }> {
  const serve: http.RequestListener = (req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const out = handler(req, body);
      res.writeHead(out.status ?? 200, out.headers);
      res.end(out.body);
    });
  };
  const s = secure ? https.createServer(secure, serve) : http.createServer(serve);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const url = `${secure ? "https" : "http"}://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url, close: () => new Promise((resolve) => s.close(() => resolve())) };
}

/** What every service role must be in any mode: a login with no power of its own. */
async function expectLeastPrivilege(database: string, role: string, schema: string, memberOf: string[]) {
  const row = await asSuper(
    database,
    async (c) =>
      (
        await c.query(
          `select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
                  array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid
                         where m.member = r.oid order by 1) as member_of,
                  (select nspowner = r.oid from pg_namespace where nspname = $2) as owns_schema,
                  (select setconfig from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase
                    where s.setrole = r.oid and d.datname = current_database()) as settings
             from pg_roles r where rolname = $1`,
          [role, schema],
        )
      ).rows[0],
  );
  expect(row).toEqual({
    rolsuper: false,
    rolcreatedb: false,
    rolcreaterole: false,
    rolreplication: false,
    rolbypassrls: false,
    rolcanlogin: true,
    member_of: memberOf,
    owns_schema: true,
    settings: [`search_path=${schema}`],
  });
}

/** A service logged in with its token: its migrations land in its schema, and nothing else is in reach. */
async function expectConfined(config: pg.ClientConfig, role: string, other: string) {
  const schema = postgresRole(A);
  await connectWith(config, async (c) => {
    expect(await whoAmI(c)).toEqual({ user: role, path: schema });
    const owners = await c.query("select distinct tableowner from pg_tables where schemaname = $1", [schema]);
    expect(owners.rows).toEqual([{ tableowner: role }]);
    await expect(c.query(`select * from ${other}.schema_migrations`)).rejects.toThrow(
      /permission denied for schema/,
    );
    await expect(c.query("create table public.leak (x int)")).rejects.toThrow(/permission denied/);
    await expect(c.query("create temp table scratch (x int)")).rejects.toThrow(/permission denied/);
  });
}

/** Env that keeps the clouds' libraries from finding this machine's own credentials. */
const hermetic = () => ({
  HOME: dir,
  AWS_CONFIG_FILE: join(dir, "no-aws-config"),
  AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-aws-credentials"),
  GOOGLE_APPLICATION_CREDENTIALS: "",
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "token-login-"));
  ca = makeTestCa(dir);
  Object.assign(process.env, hermetic());
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A server of the describe's own, as each cloud has its managed one (roles are per server). */
function managedServer() {
  beforeAll(async () => {
    server = await startPostgres({ passwords: true, tls: ca.issue("postgres", ["IP:127.0.0.1"]) });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server?.stop());
}

describe("gcp-iam: Cloud SQL IAM login with the metadata server's access token", () => {
  managedServer();
  const database = "llmops_gcp";
  const iamUser = cloudSqlIamUser(`${A}@my-project.iam.gserviceaccount.com`);
  const otherUser = cloudSqlIamUser(`${B}@my-project.iam.gserviceaccount.com`);
  const issued = { token: "", expiresIn: 3600, requests: [] as { scopes: string | null; flavor: unknown }[] };
  let metadata: Awaited<ReturnType<typeof listen>>;
  const env = () => ({ DATABASE_AUTH: "gcp-iam", GCE_METADATA_HOST: new URL(metadata.url).host });
  const gcpJob = (folders: Record<string, Record<string, string>>) =>
    rolesJob("gcp-iam", { DATABASE_URL: adminUrl("gcp_admin", database) }, folders);

  beforeAll(async () => {
    metadata = await listen((req) => {
      const path = new URL(req.url!, "http://metadata").pathname;
      const flavor = { "Metadata-Flavor": "Google", "Content-Type": "application/json" };
      // The real server refuses any request without the header (no SSRF through a plain GET).
      if (req.headers["metadata-flavor"] !== "Google")
        return { status: 403, body: "Missing Metadata-Flavor" };
      if (path === "/computeMetadata/v1/instance") return { headers: flavor, body: "{}" };
      if (path === "/computeMetadata/v1/instance/service-accounts/default/token") {
        issued.requests.push({
          scopes: new URL(req.url!, "http://metadata").searchParams.get("scopes"),
          flavor: req.headers["metadata-flavor"],
        });
        return {
          headers: flavor,
          body: JSON.stringify({
            access_token: issued.token,
            expires_in: issued.expiresIn,
            token_type: "Bearer",
          }),
        };
      }
      return { status: 404, headers: flavor, body: "not found" };
    });
    process.env.GCE_METADATA_HOST = env().GCE_METADATA_HOST;
    await managedDatabase(database, "gcp_admin");
    // Cloud SQL makes its IAM users itself (gcp.sql.User CLOUD_IAM_SERVICE_ACCOUNT), not the Job: here
    // the superuser stands in for Cloud SQL. Assumed, as on Cloud SQL, that the admin login
    // (cloudsqlsuperuser) may administer those users.
    await asSuper("postgres", async (c) => {
      for (const user of [iamUser, otherUser]) {
        await c.query(`create role ${pg.escapeIdentifier(user)} login`);
        await c.query(`grant ${pg.escapeIdentifier(user)} to gcp_admin with admin option`);
      }
    });
  });
  afterAll(() => metadata?.close());

  it("the roles Job gives the existing IAM user its service's schema, grants and search_path", async () => {
    // The IAM user: the service account's email without ".gserviceaccount.com".
    expect(iamUser).toBe(`${A}@my-project.iam`);
    const r = await gcpJob({
      [A]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl(iamUser, database) },
      [B]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl(otherUser, database) },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    await expectLeastPrivilege(database, iamUser, postgresRole(A), []);
    await expectLeastPrivilege(database, otherUser, postgresRole(B), []);
  });

  it("the roles Job refuses an IAM user Cloud SQL has not made, naming it", async () => {
    const r = await gcpJob({ [A]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl("ghost@my-project.iam", database) } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(
      /role \\?"ghost@my-project.iam\\?" does not exist: Cloud SQL creates/,
    );
  });

  it("the service migrates with no password in its URL: the metadata token, scope sqlservice.login, is its password", async () => {
    issued.token = `gcp-token-${randomUUID()}`;
    await setPassword(iamUser, issued.token);
    const r = await entry(A, "migrate", {
      ...env(),
      DATABASE_URL: tokenUrl(iamUser, database),
      DATABASE_CA_FILE: ca.caFile,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(issued.requests.at(-1)).toEqual({ scopes: GCP_SQL_LOGIN_SCOPE, flavor: "Google" });
    await expectConfined(
      connectionConfig(tokenUrl(iamUser, database), ca.caFile, "gcp-iam"),
      iamUser,
      postgresRole(B),
    );
  });

  it("keeps a token while it is fresh, fetches a new one when it nears expiry; a token the role lacks is refused", async () => {
    const config = connectionConfig(tokenUrl(iamUser, database), ca.caFile, "gcp-iam");
    issued.token = `gcp-token-${randomUUID()}`;
    issued.expiresIn = 3600;
    await setPassword(iamUser, issued.token);
    const before = issued.requests.length;
    await connectWith(config, whoAmI);
    await connectWith(config, whoAmI);
    expect(issued.requests.length - before).toBe(1);

    // Tokens that expire within the refresh margin are fetched anew for each connection.
    const fresh = connectionConfig(tokenUrl(iamUser, database), ca.caFile, "gcp-iam");
    issued.expiresIn = 60;
    issued.token = `gcp-token-${randomUUID()}`;
    await setPassword(iamUser, issued.token);
    expect((await connectWith(fresh, whoAmI)).user).toBe(iamUser);
    issued.token = `gcp-token-${randomUUID()}`;
    await setPassword(iamUser, issued.token);
    expect((await connectWith(fresh, whoAmI)).user).toBe(iamUser);
    issued.token = "gcp-token-the-role-does-not-have";
    await expect(connectWith(fresh, whoAmI)).rejects.toThrow(
      `password authentication failed for user "${iamUser}"`,
    );
  });
  it("after password logins: the IAM user takes over what the service's old role owns; the old role no longer logs in", async () => {
    const upgrade = "llmops_gcp_upgrade";
    await asSuper("postgres", (c) => c.query(`create database ${upgrade} owner gcp_admin`));
    const oldUrl = `postgres://${postgresRole(A)}:old-password-0123456789@127.0.0.1:${port}/${upgrade}`;
    const provision = (auth: string, url: string) =>
      rolesJob(
        auth,
        { DATABASE_URL: adminUrl("gcp_admin", upgrade) },
        { [A]: { [POSTGRES_ROLE_URL_FILE]: url } },
      );
    expect((await provision("password", oldUrl)).code).toBe(0);
    expect((await entry(A, "migrate", { DATABASE_AUTH: "password", DATABASE_URL: oldUrl })).code).toBe(0);

    const r = await provision("gcp-iam", tokenUrl(iamUser, upgrade));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const owners = await asSuper(upgrade, async (c) => ({
      tables: (
        await c.query("select distinct tableowner from pg_tables where schemaname = $1", [postgresRole(A)])
      ).rows.map((row) => row.tableowner),
      schema: (
        await c.query("select nspowner::regrole::text as o from pg_namespace where nspname = $1", [
          postgresRole(A),
        ])
      ).rows[0].o,
    }));
    expect(owners).toEqual({ tables: [iamUser], schema: pg.escapeIdentifier(iamUser) });
    await expect(asUser(oldUrl, async () => {})).rejects.toThrow(/password authentication failed/);

    issued.token = `gcp-token-${randomUUID()}`;
    await setPassword(iamUser, issued.token);
    const m = await entry(A, "migrate", {
      ...env(),
      DATABASE_URL: tokenUrl(iamUser, upgrade),
      DATABASE_CA_FILE: ca.caFile,
      LOG_LEVEL: "info",
    });
    expect(m.code).toBe(0);
    expect(m.stdout).toMatch(/schema up to date/);
  });
});

describe("aws-iam: RDS IAM login with a token signed by the IRSA web identity's credentials", () => {
  managedServer();
  const database = "llmops_aws";
  const region = "eu-west-3";
  const roleArn = "arn:aws:iam::123456789012:role/llmops-cost-api";
  const webIdentity = "eyJ-projected-service-account-token";
  const credentials = {
    accessKeyId: "ASIATESTACCESSKEY123",
    secretAccessKey: "test/secret/access/key/0123456789abcdef",
    sessionToken: "test-session-token-from-sts",
  };
  const stsCalls: Record<string, string>[] = [];
  let sts: Awaited<ReturnType<typeof listen>>;
  const env = () => ({
    AWS_REGION: region,
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "aws-web-identity"),
    AWS_ENDPOINT_URL_STS: sts.url,
  });

  beforeAll(async () => {
    writeFileSync(join(dir, "aws-web-identity"), webIdentity);
    sts = await listen((_req, body) => {
      stsCalls.push(Object.fromEntries(new URLSearchParams(body)));
      const expiration = new Date(Date.now() + 3600_000).toISOString();
      return {
        headers: { "Content-Type": "text/xml" },
        body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>
      <SessionToken>${credentials.sessionToken}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>system:serviceaccount:llmops:${A}</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>${roleArn}/session</Arn><AssumedRoleId>AROATEST:session</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`,
      };
    });
    Object.assign(process.env, env());
    await managedDatabase(database, "aws_admin");
    // RDS's own role: a member may log in with an IAM token; rds_superuser (the admin) may grant it.
    await asSuper("postgres", async (c) => {
      await c.query("create role rds_iam");
      await c.query("grant rds_iam to aws_admin with admin option");
    });
  });
  afterAll(() => sts?.close());

  it("the roles Job makes each role a passwordless login in rds_iam, with its schema as in password mode", async () => {
    // A role that had a password (the stack before token logins) loses it.
    await asSuper(database, (c) =>
      c.query(`create role ${postgresRole(A)} login password 'an-old-password-123456'`),
    );
    await asSuper("postgres", (c) => c.query(`grant ${postgresRole(A)} to aws_admin with admin option`));
    const r = await rolesJob(
      "aws-iam",
      { DATABASE_URL: adminUrl("aws_admin", database) },
      {
        [A]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl(postgresRole(A), database) },
        [B]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl(postgresRole(B), database) },
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const s of [A, B])
      await expectLeastPrivilege(database, postgresRole(s), postgresRole(s), ["rds_iam"]);
    const passwords = await asSuper(
      database,
      async (c) =>
        (
          await c.query("select rolname, rolpassword from pg_authid where rolname = any($1) order by 1", [
            [postgresRole(A), postgresRole(B)],
          ])
        ).rows,
    );
    expect(passwords.map((p) => p.rolpassword)).toEqual([null, null]);
  });

  it("the token is a presigned connect URL for host:port, user and region, signed with the STS credentials, and is the password Postgres checks", async () => {
    const url = tokenUrl(postgresRole(A), database);
    const db = await openDatabase({ url, caFile: ca.caFile, auth: "aws-iam", maxConnections: 1 });
    // The pool's own password source: the token its next connection sends.
    const token = await (db.pool.options.password as () => Promise<string>)();
    try {
      expect(stsCalls.at(-1)).toMatchObject({
        Action: "AssumeRoleWithWebIdentity",
        RoleArn: roleArn,
        WebIdentityToken: webIdentity,
      });
      const signed = new URL(`https://${token}`);
      expect(signed.host).toBe(`127.0.0.1:${port}`);
      const q = Object.fromEntries(signed.searchParams);
      expect(q).toMatchObject({
        Action: "connect",
        DBUser: postgresRole(A),
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Expires": "900",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Security-Token": credentials.sessionToken,
      });
      expect(q["X-Amz-Credential"]).toMatch(
        new RegExp(`^${credentials.accessKeyId}/\\d{8}/${region}/rds-db/aws4_request$`),
      );
      expect(q["X-Amz-Signature"]).toBe(await sigV4(signed, q["X-Amz-Date"]!));

      await setPassword(postgresRole(A), token);
      const applied = await migrateService(await loadDefinition(A), db);
      expect(applied.length).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    // A new source signs its own token, equal to this one only within the same second of X-Amz-Date,
    // so the confinement check logs in with the token the password was set to.
    await expectConfined(
      { ...connectionConfig(url, ca.caFile, "aws-iam"), password: token },
      postgresRole(A),
      postgresRole(B),
    );
  });

  it("signs a new token once the cached one nears its 15 minutes; the old one no longer opens the role", async () => {
    const config = connectionConfig(tokenUrl(postgresRole(A), database), ca.caFile, "aws-iam");
    const source = config.password as () => Promise<string>;
    const first = await source();
    expect(await source()).toBe(first);
    await setPassword(postgresRole(A), first);
    await connectWith(config, whoAmI);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 11 * 60_000 });
    try {
      const second = await source();
      expect(second).not.toBe(first);
      await setPassword(postgresRole(A), second);
      expect((await connectWith(config, whoAmI)).user).toBe(postgresRole(A));
      await expect(connectWith({ ...config, password: first }, whoAmI)).rejects.toThrow(
        `password authentication failed for user "${postgresRole(A)}"`,
      );
    } finally {
      vi.useRealTimers();
    }
  });

  /** The SigV4 query signature of an rds-db connect URL, recomputed from the STS credentials. */
  async function sigV4(signed: URL, amzDate: string): Promise<string> {
    const signer = new SignatureV4({ service: "rds-db", region, credentials, sha256: NodeSha256 });
    const query = Object.fromEntries(
      [...signed.searchParams].filter(([k]) => k === "Action" || k === "DBUser"),
    );
    const at = amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z");
    const again = await signer.presign(
      {
        method: "GET",
        protocol: "https:",
        hostname: signed.hostname,
        port: Number(signed.port),
        path: "/",
        query,
        headers: { host: signed.host },
      },
      { expiresIn: 900, signingDate: new Date(at) },
    );
    return again.query!["X-Amz-Signature"] as string;
  }
});

/** SHA-256 and HMAC-SHA-256 in the shape SignatureV4 takes (node:crypto). */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === "string"
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);
class NodeSha256 {
  private readonly hash;
  constructor(secret?: Data) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

describe("azure-entra: Flexible Server Entra login with the workload identity's federated token", () => {
  managedServer();
  const database = "llmops_azure";
  const tenant = randomUUID();
  const jobAdmin = "llmops-postgres-roles";
  const jobClient = randomUUID();
  const client = randomUUID();
  const objectIds = { [A]: randomUUID(), [B]: randomUUID() };
  const assertion = "eyJ-federated-service-account-token";
  const tokens: Record<string, string> = {};
  let expiresIn = 3600;
  const tokenCalls: Record<string, string>[] = [];
  let entra: Awaited<ReturnType<typeof listen>>;
  const workload = (client: string) => ({
    AZURE_CLIENT_ID: client,
    AZURE_TENANT_ID: tenant,
    AZURE_FEDERATED_TOKEN_FILE: join(dir, "azure-federated-token"),
    AZURE_AUTHORITY_HOST: `${entra.url}/`,
    // A child process trusts the stand-in's CA the way a pod trusts Entra's public one.
    NODE_EXTRA_CA_CERTS: ca.caFile,
  });
  /** The roles Job as the server's Entra administrator, with its own workload identity's token. */
  const azureJob = (folders: Record<string, Record<string, string>>) =>
    rolesJob(
      "azure-entra",
      {
        ...workload(jobClient),
        DATABASE_AUTH: "azure-entra",
        DATABASE_URL: tokenUrl(jobAdmin, database),
        DATABASE_CA_FILE: ca.caFile,
      },
      folders,
    );

  beforeAll(async () => {
    writeFileSync(join(dir, "azure-federated-token"), assertion);
    const { certFile, keyFile } = ca.issue("entra", ["IP:127.0.0.1"]);
    entra = await listen(
      (req, body) => {
        const json = { "Content-Type": "application/json" };
        const base = entra.url;
        const path = new URL(req.url!, base).pathname;
        if (path === `/${tenant}/v2.0/.well-known/openid-configuration`)
          return {
            headers: json,
            body: JSON.stringify({
              issuer: `${base}/${tenant}/v2.0`,
              authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
              token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
              jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
            }),
          };
        if (path === `/${tenant}/oauth2/v2.0/token` && req.method === "POST") {
          const form = Object.fromEntries(new URLSearchParams(body));
          tokenCalls.push(form);
          const token = tokens[form.client_id!];
          if (!token || form.client_assertion !== assertion)
            return { status: 401, headers: json, body: JSON.stringify({ error: "invalid_client" }) };
          return {
            headers: json,
            body: JSON.stringify({
              token_type: "Bearer",
              expires_in: expiresIn,
              ext_expires_in: expiresIn,
              access_token: token,
            }),
          };
        }
        return { status: 404, headers: json, body: "{}" };
      },
      { cert: readFileSync(certFile), key: readFileSync(keyFile) },
    );
    // This process trusts it too (the in-process connections below).
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(ca.caFile, "utf8")]);
    Object.assign(process.env, workload(client));
    for (const id of [jobClient, client]) tokens[id] = `entra-token-${randomUUID()}`;
    // The Job logs in as the server's Entra administrator (its password here: its token).
    await managedDatabase(database, jobAdmin, tokens[jobClient]!);
    // Stand-in for the pgaadauth extension's function, with its documented effect: a login role mapped
    // to the Entra object by the security label 'aadauth,oid=<object id>,type=<type>'. Written into
    // pg_shseclabel directly (as the function's owner, the superuser): a vanilla server has no
    // pgaadauth label provider for SECURITY LABEL.
    await asSuper(database, (c) =>
      c.query(`create function pgaadauth_create_principal_with_oid(rolename text, objectid text, objecttype text, isadmin boolean, ismfa boolean)
                 returns text language plpgsql security definer as $$
               begin
                 execute format('create role %I login', rolename);
                 -- The Entra administrator calling it manages the principal (PostgreSQL 16+ asks ADMIN OPTION).
                 execute format('grant %I to %I with admin option', rolename, session_user);
                 insert into pg_shseclabel (objoid, classoid, provider, label)
                 values (rolename::regrole, 'pg_authid'::regclass, 'pgaadauth',
                         format('aadauth,oid=%s,type=%s', objectid, objecttype) || case when isadmin then ',admin' else '' end);
                 return format('Created role for "%s"', rolename);
               end $$`),
    );
  });
  afterAll(() => entra?.close());

  it("the roles Job, logged in as the Entra administrator, creates each service's Entra principal for its object id", async () => {
    const run = () =>
      azureJob(
        Object.fromEntries(
          [A, B].map((s) => [
            s,
            {
              [POSTGRES_ROLE_URL_FILE]: tokenUrl(postgresRole(s), database),
              [POSTGRES_ROLE_OBJECT_ID_FILE]: objectIds[s]!,
            },
          ]),
        ),
      );
    const r = await run();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tokenCalls.at(-1)).toMatchObject({
      client_id: jobClient,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: AZURE_POSTGRES_SCOPE,
    });
    for (const s of [A, B]) await expectLeastPrivilege(database, postgresRole(s), postgresRole(s), []);
    const labels = await asSuper(
      database,
      async (c) =>
        (
          await c.query(
            `select r.rolname, l.label from pg_roles r join pg_shseclabel l on l.objoid = r.oid and l.provider = 'pgaadauth'
              where r.rolname = any($1) order by 1`,
            [[postgresRole(A), postgresRole(B)]],
          )
        ).rows,
    );
    expect(labels).toEqual(
      [A, B]
        .map((s) => ({
          rolname: postgresRole(s),
          label: `aadauth,oid=${objectIds[s]},type=service`,
        }))
        .sort((x, y) => x.rolname.localeCompare(y.rolname)),
    );
    // Again: the principals exist, so nothing is created twice.
    expect((await run()).code).toBe(0);
  });

  it("the service migrates with its own workload identity's token as its password", async () => {
    await setPassword(postgresRole(A), tokens[client]!);
    const r = await entry(A, "migrate", {
      ...workload(client),
      DATABASE_AUTH: "azure-entra",
      DATABASE_URL: tokenUrl(postgresRole(A), database),
      DATABASE_CA_FILE: ca.caFile,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(tokenCalls.at(-1)).toMatchObject({ client_id: client, scope: AZURE_POSTGRES_SCOPE });
    await expectConfined(
      connectionConfig(tokenUrl(postgresRole(A), database), ca.caFile, "azure-entra"),
      postgresRole(A),
      postgresRole(B),
    );
  });

  it("fetches a new token when the cached one nears expiry; a token the role lacks is refused", async () => {
    const config = connectionConfig(tokenUrl(postgresRole(A), database), ca.caFile, "azure-entra");
    expiresIn = 60;
    for (let i = 0; i < 2; i++) {
      tokens[client] = `entra-token-${randomUUID()}`;
      await setPassword(postgresRole(A), tokens[client]!);
      expect((await connectWith(config, whoAmI)).user).toBe(postgresRole(A));
    }
    tokens[client] = "entra-token-the-role-does-not-have";
    await expect(connectWith(config, whoAmI)).rejects.toThrow(
      `password authentication failed for user "${postgresRole(A)}"`,
    );
  });

  it("an identity Entra refuses is a connection error naming the mode, the user and Entra's answer", async () => {
    const config = connectionConfig(tokenUrl(postgresRole(A), database), ca.caFile, "azure-entra", {
      ...process.env,
      AZURE_CLIENT_ID: randomUUID(),
    });
    await expect(connectWith(config, whoAmI)).rejects.toThrow(
      new RegExp(`azure-entra: no token for Postgres user ${postgresRole(A)}: .*invalid_client`, "s"),
    );
  });

  it("a role mapped to another object id (a recreated identity, or none: the password login of before) is relabelled", async () => {
    const stale = randomUUID();
    await asSuper(database, (c) =>
      c.query("update pg_shseclabel set label = $1 where objoid = $2::regrole and provider = 'pgaadauth'", [
        `aadauth,oid=${stale},type=service`,
        postgresRole(B),
      ]),
    );
    const r = await azureJob({
      [B]: {
        [POSTGRES_ROLE_URL_FILE]: tokenUrl(postgresRole(B), database),
        [POSTGRES_ROLE_OBJECT_ID_FILE]: objectIds[B]!,
      },
    });
    // Azure's server takes the label; a vanilla one, without the pgaadauth provider, refuses exactly that statement.
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/security label provider \\?"pgaadauth\\?" is not loaded/);
  });

  it("the roles Job needs each service's object id", async () => {
    const r = await azureJob({ [A]: { [POSTGRES_ROLE_URL_FILE]: tokenUrl(postgresRole(A), database) } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${A}/${POSTGRES_ROLE_OBJECT_ID_FILE}: ENOENT`));
  });
});

describe("bad token-login config is one message and exit 2", () => {
  // Refused before any connection: no server behind this address.
  const offline = (user: string) => `postgres://${user}@127.0.0.1:5432/llmops?sslmode=verify-full`;
  const migrate = (env: Record<string, string>) =>
    entry(A, "migrate", {
      DATABASE_CA_FILE: ca.caFile,
      DATABASE_URL: offline(postgresRole(A)),
      AWS_REGION: "eu-west-3",
      ...env,
    });
  const expectRefused = (r: { code: number; stderr: string }, message: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it.each([
    [
      "aws-iam without AWS_REGION",
      { DATABASE_AUTH: "aws-iam", AWS_REGION: "" },
      /DATABASE_AUTH=aws-iam: AWS_REGION must name the RDS server's region/,
    ],
    [
      "a password in a token login's URL",
      {
        DATABASE_AUTH: "gcp-iam",
        DATABASE_URL: `postgres://u:secret-in-url@127.0.0.1:1/llmops?sslmode=verify-full`,
      },
      /DATABASE_AUTH=gcp-iam logs in with a token: DATABASE_URL must carry the user and no password/,
    ],
    [
      "a token login without TLS verification",
      {
        DATABASE_AUTH: "azure-entra",
        DATABASE_CA_FILE: "",
        AZURE_CLIENT_ID: "c",
        AZURE_TENANT_ID: "t",
        AZURE_FEDERATED_TOKEN_FILE: "f",
      },
      /DATABASE_AUTH=azure-entra sends a token as the password: DATABASE_CA_FILE must be set/,
    ],
    [
      "azure-entra outside a workload identity pod",
      {
        DATABASE_AUTH: "azure-entra",
        AZURE_CLIENT_ID: "",
        AZURE_TENANT_ID: "",
        AZURE_FEDERATED_TOKEN_FILE: "",
      },
      /AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE unset/,
    ],
    ["an unknown mode", { DATABASE_AUTH: "kerberos" }, /DATABASE_AUTH: Invalid option/],
    [
      "a URL that does not parse (its text never echoed)",
      { DATABASE_AUTH: "gcp-iam", DATABASE_URL: "postgres://u:secret-in-url@127.0.0.1:port/llmops" },
      /DATABASE_URL: not a valid URL/,
    ],
  ])("%s", async (_, env, message) => {
    const r = await migrate(env);
    expectRefused(r, message);
    expect(r.stderr).not.toContain("secret-in-url");
  });

  it("the service itself refuses to start the same way", async () => {
    const r = await runScript("services/run.ts", [A], {
      DATABASE_AUTH: "aws-iam",
      AWS_REGION: "",
      DATABASE_CA_FILE: ca.caFile,
      DATABASE_URL: offline(postgresRole(A)),
      PORT: "0",
    });
    expectRefused(r, /DATABASE_AUTH=aws-iam: AWS_REGION must name the RDS server's region/);
  });

  it("the roles Job refuses a service URL with a password in a token mode", async () => {
    const r = await rolesJob(
      "aws-iam",
      { DATABASE_URL: "postgres://admin:admin-password@127.0.0.1:5432/llmops" },
      {
        [A]: {
          [POSTGRES_ROLE_URL_FILE]: `postgres://${postgresRole(A)}:pw-0123456789abcdef@127.0.0.1:5432/x`,
        },
      },
    );
    expectRefused(
      r,
      new RegExp(`role ${postgresRole(A)}: a token login \\(aws-iam\\) carries no password in its URL`),
    );
  });
});

describe("the password login stays as it was", () => {
  /** Node's load hook, in a process of its own: which cloud libraries a script made it load. */
  const cloudLibrariesLoaded = (script: string) => {
    const probe = `
      import { registerHooks } from "node:module";
      const seen = new Set();
      registerHooks({ load(url, context, next) { seen.add(url); return next(url, context); } });
      ${script}
      const libraries = [...seen].map((u) => /node_modules\\/(google-auth-library|@aws-sdk\\/rds-signer|@azure\\/identity)\\//.exec(u)?.[1]).filter(Boolean);
      process.stdout.write(JSON.stringify([...new Set(libraries)].sort()));`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe], {
      cwd: ROOT,
      encoding: "utf8",
      env: { PATH: process.env.PATH!, METADATA_SERVER_DETECTION: "none", AWS_EC2_METADATA_DISABLED: "true" },
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as string[];
  };

  it("loads no cloud library: each is loaded on first use, in its mode only", () => {
    const shared = `${ROOT}/services/shared/src`;
    expect(
      cloudLibrariesLoaded(`
        await import("${shared}/entry.ts");
        const { openDatabase } = await import("${shared}/db.ts");
        await (await openDatabase({ url: "postgres://u:p@127.0.0.1:1/db" })).close();`),
    ).toEqual([]);
    expect(
      cloudLibrariesLoaded(`
        const { tokenPassword } = await import("${shared}/db-auth.ts");
        for (const mode of ["gcp-iam", "aws-iam", "azure-entra"])
          await tokenPassword(mode, { host: "127.0.0.1", port: 1, user: "u" }, { AWS_REGION: "eu-west-3" })().catch(() => {});`),
    ).toEqual(["@aws-sdk/rds-signer", "@azure/identity", "google-auth-library"]);
  });
});
