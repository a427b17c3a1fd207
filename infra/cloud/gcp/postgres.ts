/**
 * Cloud SQL for PostgreSQL on a private IP only (peered through private services access), CMEK,
 * TLS required, point-in-time recovery; prod is REGIONAL (standby in another zone) and protected.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as projects from "@pulumi/gcp/projects/index.js";
import * as sql from "@pulumi/gcp/sql/index.js";
import * as pulumi from "@pulumi/pulumi";
import { cloudSqlIamUser } from "../../../services/shared/src/contract.ts";
import { after, type CloudContext } from "../context.ts";
import { gcpAccountId } from "../naming.ts";
import type { DatabaseLogin, DatabaseLoginRequest } from "../types.ts";
import { gcpWorkloadIdentity } from "./identity.ts";
import { POSTGRES_DATABASE, POSTGRES_USER } from "../secrets.ts";
import { cloudSqlTierProblem, POSTGRES_TIERS } from "../sizes.ts";
import type { GcpKeys } from "./kms.ts";
import type { GcpNetwork } from "./network.ts";

/**
 * Cloud SQL's server certificate carries no SAN for the private IP the services dial, so verify-full
 * cannot pass. verify-ca is sound here: with the per-instance CA (serverCaMode below), that CA signs
 * this one instance's server certificate and nothing else, so a valid chain identifies the instance.
 * (The Cloud SQL Auth Proxy would do the same check by instance name, at the cost of a sidecar and
 * a Google identity per service.)
 */
export const CLOUD_SQL_TLS_MODE = "verify-ca";

/** Every CA the instance lists (current, upcoming and previous during a rotation), as one PEM bundle. */
export function cloudSqlCaBundle(instance: sql.DatabaseInstance): pulumi.Output<string> {
  return instance.serverCaCerts.apply((certs) => {
    const pems = (certs ?? []).map((c) => c.cert?.trim()).filter((c): c is string => Boolean(c));
    if (pems.length === 0) throw new Error("Cloud SQL instance lists no server CA certificate");
    return pems
      .map(
        (pem) => `${pem}
`,
      )
      .join("");
  });
}

export function gcpPostgres(
  ctx: CloudContext,
  project: string,
  network: GcpNetwork,
  keys: GcpKeys,
  suffix: pulumi.Output<string>,
  password: pulumi.Output<string>,
): sql.DatabaseInstance {
  const { base, tags, opts, config, profile } = ctx;
  const tier = POSTGRES_TIERS.gcp[config.environment];
  // The mocks accept any tier; Cloud SQL answers an invalid one only halfway through `pulumi up`.
  const problem = cloudSqlTierProblem(tier);
  if (problem) throw new Error(`Cloud SQL tier ${problem}`);
  const instance = new sql.DatabaseInstance(
    `${base}-postgres`,
    {
      // Cloud SQL reserves a deleted instance's name for a week: the suffix allows a quick recreate.
      name: pulumi.interpolate`${base}-pg-${suffix}`,
      project,
      region: config.region,
      databaseVersion: `POSTGRES_${config.postgres.version}`,
      encryptionKeyName: keys.data.id,
      deletionProtection: profile.deletionProtection,
      settings: {
        tier,
        edition: "ENTERPRISE",
        availabilityType: profile.highAvailability ? "REGIONAL" : "ZONAL",
        diskType: "PD_SSD",
        diskSize: profile.postgresStorageGb,
        diskAutoresize: true,
        diskAutoresizeLimit: profile.postgresStorageGb * 4,
        deletionProtectionEnabled: profile.deletionProtection,
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: network.network.id,
          sslMode: "ENCRYPTED_ONLY",
          // Explicit: CLOUD_SQL_TLS_MODE relies on a CA that signs this instance's certificate only.
          serverCaMode: "GOOGLE_MANAGED_INTERNAL_CA",
        },
        backupConfiguration: {
          enabled: true,
          pointInTimeRecoveryEnabled: true,
          startTime: "03:00",
          transactionLogRetentionDays: Math.min(profile.backupRetentionDays, 7),
          // One automated backup per day: retained count = retention in days.
          backupRetentionSettings: { retainedBackups: profile.backupRetentionDays, retentionUnit: "COUNT" },
        },
        maintenanceWindow: { day: 7, hour: 4, updateTrack: "stable" },
        insightsConfig: { queryInsightsEnabled: true },
        databaseFlags: [
          { name: "log_min_duration_statement", value: "1000" },
          // IAM database authentication: the services' logins (gcpPostgresLogins).
          { name: "cloudsql.iam_authentication", value: "on" },
        ],
        userLabels: tags,
      },
    },
    after(ctx, network.privateServices, ...keys.grants.data),
  );
  new sql.Database(`${base}-postgres`, { name: POSTGRES_DATABASE, project, instance: instance.name }, opts);
  new sql.User(`${base}-postgres`, { name: POSTGRES_USER, project, instance: instance.name, password }, opts);
  return instance;
}

/** A database login's name among the layer's identities (its Google service account's id). */
const loginIdentity = (loginId: string) => `db-${loginId}`;

/**
 * The Cloud SQL IAM user of a database login, known before the account exists: a user-managed
 * service account's email is <account id>@<project>.iam.gserviceaccount.com. The plan-time checks
 * hold it to PostgreSQL's 63-byte names (Cloud SQL would cut a longer one, and its token login never
 * match it).
 */
export const gcpLoginUser = (base: string, project: string, loginId: string) =>
  cloudSqlIamUser(`${gcpAccountId(base, loginIdentity(loginId))}@${project}.iam.gserviceaccount.com`);

/**
 * One IAM database login per request (Cloud SQL IAM database authentication, the instance's
 * cloudsql.iam_authentication flag): a Google service account the request's Kubernetes
 * ServiceAccount impersonates (Workload Identity), allowed to log in to this instance only
 * (roles/cloudsql.instanceUser under an IAM condition on the instance), and its Cloud SQL user of type
 * CLOUD_IAM_SERVICE_ACCOUNT, which Cloud SQL creates as a Postgres role of the IAM user's name. The
 * client's password is an OAuth token of that account (scope sqlservice.login) from the GKE metadata
 * server; it connects directly to the private IP, so no cloudsql.client (the Auth Proxy's role).
 */
export function gcpPostgresLogins(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  instance: sql.DatabaseInstance,
  requests: readonly DatabaseLoginRequest[],
): Record<string, DatabaseLogin> {
  return Object.fromEntries(
    requests.map((request) => {
      const id = loginIdentity(request.id);
      const { account, identity } = gcpWorkloadIdentity(ctx, project, cluster, id, request.serviceAccount);
      new projects.IAMMember(
        `${ctx.base}-${id}-login`,
        {
          project,
          role: "roles/cloudsql.instanceUser",
          member: pulumi.interpolate`serviceAccount:${account.email}`,
          condition: {
            title: `${id} logs in to ${ctx.base} Postgres only`,
            expression: pulumi.interpolate`resource.name == 'projects/${project}/instances/${instance.name}' && resource.type == 'sqladmin.googleapis.com/Instance'`,
          },
        },
        ctx.opts,
      );
      const user = account.email.apply(cloudSqlIamUser);
      const sqlUser = new sql.User(
        `${ctx.base}-${id}`,
        { name: user, project, instance: instance.name, type: "CLOUD_IAM_SERVICE_ACCOUNT" },
        ctx.opts,
      );
      // The Postgres role exists once the Cloud SQL user does: clients (the roles Job) read the name from it.
      return [request.id, { user: sqlUser.name, identity }];
    }),
  );
}
