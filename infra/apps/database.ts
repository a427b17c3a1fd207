/**
 * Each Postgres user connects as a role of its own (services/shared/src/roles.ts), never as the
 * managed server's admin login, and logs in with its cloud workload identity, not a password:
 *
 *   - per service, an ExternalSecret that renders the service's DATABASE_URL (the user the cloud
 *     layer made for its login, no password, the server's host/port/database/sslmode from the cloud's
 *     secret-store entry) into Secret `<service>-postgres`; the service's ServiceAccount assumes the
 *     login's identity and its pods get DATABASE_AUTH (the cloud's token mode), so the runtime signs
 *     in with a short-lived token (Cloud SQL IAM, RDS IAM, Entra);
 *   - one admin Job (`postgres-roles-<hash>`) that reads the admin URL from the store (on Azure: logs
 *     in as the server's Entra administrator, its own identity) and every service's URL from those
 *     Secrets (on Azure also each identity's object id), and creates or updates each role, its schema
 *     and grants, for the mode POSTGRES_ROLES_AUTH names.
 *
 * The services' Deployments wait for the Job, so a migration never runs before its role exists. A
 * change to the set of roles changes the Job's name, so Pulumi runs it again.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  DATABASE_AUTH_ENV,
  type DatabaseAuth,
  POSTGRES_MONITOR_ROLE,
  POSTGRES_ROLE_OBJECT_ID_FILE,
  POSTGRES_ROLE_URL_FILE,
  POSTGRES_ROLES_AUTH_ENV,
  postgresRole,
} from "../../services/shared/src/contract.ts";
import type { DatabaseLogin } from "../cloud/types.ts";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { POSTGRES_ROLES_SERVICE_ACCOUNT } from "../names.ts";
import { poolSelector } from "../platform/placement.ts";
import { POSTGRES_CA, TMP_DIR } from "./constants.ts";
import { type AppsContext, imageOf, selectorLabels, serviceLabels } from "./context.ts";
import { postgresEgress, tokenEgress } from "./network.ts";
import { storeSecret } from "./external-secret.ts";
import { postgresTokenLoginSecret } from "./postgres-login.ts";
import { CONTAINER_SECURITY, POD_SECURITY } from "./pod.ts";
import type { ServiceProfile } from "./profile.ts";
import { MIGRATION_RESOURCES } from "./sizing.ts";
import { MONITOR_SECRET } from "./postgres-exporter.ts";

/** Where the Job finds one folder per service, each holding that service's URL. */
const ROLES_DIR = "/etc/postgres-roles";
/** Where the Job finds the monitoring login's URL. */
const MONITOR_DIR = "/etc/postgres-monitor";
const ADMIN_SECRET = "postgres-admin";
/** The Job and its ServiceAccount (the subject the cloud binds the Job's identity to, where it has one). */
const JOB = POSTGRES_ROLES_SERVICE_ACCOUNT.name;
/** Each token login's principal (object) id, where the roles Job maps roles to identities (Azure). */
const OBJECT_IDS = "postgres-roles-identities";

/** The Secret holding a Postgres user's DATABASE_URL (its own role). */
export const databaseSecretName = (profile: ServiceProfile) => `${profile.name}-postgres`;

/** The login the cloud layer made for a Postgres user (infra/index.ts asks for one per user). */
export function databaseLogin(ctx: AppsContext, profile: ServiceProfile): DatabaseLogin {
  const login = ctx.cloud.postgres.logins[profile.name];
  if (!login) throw new Error(`${profile.name} uses Postgres but the cloud layer made no login for it`);
  return login;
}

/** How a token client logs in: the cloud's mode and what the mode needs beyond its identity's env. */
export function databaseClientEnv(ctx: AppsContext): { name: string; value: string }[] {
  const { auth, clientEnv } = ctx.cloud.postgres;
  return [
    { name: DATABASE_AUTH_ENV, value: auth },
    ...Object.entries(clientEnv).map(([name, value]) => ({ name, value })),
  ];
}

/** The service's login as a connection URL: the cloud's user for it, no password (a token signs in). */
export function databaseSecret(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return postgresTokenLoginSecret(
    ctx,
    databaseSecretName(profile),
    databaseLogin(ctx, profile).user,
    labels,
    opts,
  );
}

/**
 * The admin Job. It runs the roles script of every Postgres user's image, one after the other (init
 * containers, then the last as the container): each provisions every role, and moves its own
 * service's objects of the layout before per-service roles out of `public`, which only that image can
 * name (its migrations); and the metrics exporter's monitoring login (postgres-exporter.ts). Outside the mesh: it talks only to the managed Postgres, and a sidecar would
 * keep it from completing.
 */
export function postgresRoles(
  ctx: AppsContext,
  users: ServiceProfile[],
  secrets: pulumi.Resource[],
  opts: pulumi.CustomResourceOptions & {
    crOpts: pulumi.CustomResourceOptions;
    /** The monitoring login's ExternalSecret (MONITOR_SECRET). */
    monitor: pulumi.Resource;
  },
): k8s.batch.v1.Job {
  if (users.length === 0) throw new Error("postgresRoles: no Postgres user");
  const noScript = users.find((u) => !u.scripts.roles);
  if (noScript) throw new Error(`postgresRoles: ${noScript.name} has no roles script`);
  const labels = serviceLabels(ctx, JOB, "database-roles");
  const ns = ctx.platform.appNamespace;
  const { crOpts, monitor, ...child } = opts;

  const { auth, tokenAdmin } = ctx.cloud.postgres;
  if (
    tokenAdmin &&
    (tokenAdmin.identity.serviceAccount.namespace !== ns || tokenAdmin.identity.serviceAccount.name !== JOB)
  )
    throw new Error(
      `postgresRoles: the admin identity trusts ${tokenAdmin.identity.serviceAccount.namespace}/${tokenAdmin.identity.serviceAccount.name}, not ${ns}/${JOB}`,
    );
  // The Job's own login: the server's identity administrator with a token where the cloud has one
  // (only it may create identity-mapped roles), the store's password admin URL otherwise.
  const admin = tokenAdmin
    ? postgresTokenLoginSecret(ctx, ADMIN_SECRET, tokenAdmin.user, labels, crOpts)
    : storeSecret(
        ctx,
        ADMIN_SECRET,
        labels,
        {
          data: [
            { secretKey: "DATABASE_URL", remoteRef: { key: ctx.cloud.secrets.postgres, property: "url" } },
          ],
        },
        crOpts,
      );
  const adminAuth: DatabaseAuth = tokenAdmin ? auth : "password";
  const account = new k8s.core.v1.ServiceAccount(
    JOB,
    {
      metadata: {
        ...objectMeta(JOB, ns, labels),
        ...(tokenAdmin ? { annotations: tokenAdmin.identity.serviceAccountAnnotations } : {}),
      },
      automountServiceAccountToken: false,
    },
    child,
  );
  const selector = selectorLabels(labels);
  new k8s.networking.v1.NetworkPolicy(
    JOB,
    {
      metadata: objectMeta(JOB, ns, labels),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [postgresEgress(ctx), ...(tokenAdmin ? tokenEgress(ctx) : [])],
      },
    },
    child,
  );

  const roles = users.map((u) => ({
    service: u.name,
    role: postgresRole(u.name),
    secret: databaseSecretName(u),
  }));
  // Where the Job maps each role to its identity by object id (Azure): one key per service.
  const objectIds = users.map((u) => [u.name, databaseLogin(ctx, u).objectId] as const);
  const identities = objectIds.every(([, id]) => id)
    ? new k8s.core.v1.ConfigMap(
        OBJECT_IDS,
        {
          metadata: objectMeta(OBJECT_IDS, ns, labels),
          data: Object.fromEntries(objectIds.map(([service, id]) => [service, id!])),
        },
        child,
      )
    : undefined;
  if (!identities && objectIds.some(([, id]) => id))
    throw new Error("postgresRoles: the cloud gave an object id for some logins only");
  const images = users.map((u) => imageOf(ctx.config, u.name));
  // A new role, image or server changes the name: Pulumi creates a new Job (which runs) and deletes the old one.
  const hash = createHash("sha256")
    .update(JSON.stringify({ roles, images, monitor: POSTGRES_MONITOR_ROLE, auth, adminAuth }))
    .digest("hex")
    .slice(0, 8);
  const name = `${JOB}-${hash}`;
  const volume = (service: string) => `role-${service}`;
  const steps = users.map((u, i) => ({
    name: `roles-${u.name}`,
    image: images[i]!,
    imagePullPolicy: "IfNotPresent",
    args: [u.scripts.roles!],
    envFrom: [{ secretRef: { name: ADMIN_SECRET } }],
    env: [
      { name: DATABASE_AUTH_ENV, value: adminAuth },
      ...(tokenAdmin ? databaseClientEnv(ctx).filter((e) => e.name !== DATABASE_AUTH_ENV) : []),
      { name: POSTGRES_ROLES_AUTH_ENV, value: auth },
      { name: "DATABASE_CA_FILE", value: POSTGRES_CA.file },
      { name: "POSTGRES_ROLES_DIR", value: ROLES_DIR },
      { name: "POSTGRES_MONITOR_URL_FILE", value: `${MONITOR_DIR}/${POSTGRES_ROLE_URL_FILE}` },
    ],
    resources: {
      requests: { ...MIGRATION_RESOURCES.requests },
      limits: { ...MIGRATION_RESOURCES.limits },
    },
    securityContext: CONTAINER_SECURITY,
    volumeMounts: [
      { name: "tmp", mountPath: TMP_DIR },
      { name: "postgres-ca", mountPath: POSTGRES_CA.mount, readOnly: true },
      { name: "postgres-monitor", mountPath: MONITOR_DIR, readOnly: true },
      ...roles.map((r) => ({
        name: volume(r.service),
        mountPath: `${ROLES_DIR}/${r.service}`,
        readOnly: true,
      })),
    ],
  }));
  return new k8s.batch.v1.Job(
    name,
    {
      metadata: objectMeta(name, ns, labels),
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 600,
        template: {
          metadata: {
            labels: {
              ...labels,
              ...(tokenAdmin ? tokenAdmin.identity.podLabels : {}),
              "sidecar.istio.io/inject": "false",
            },
          },
          spec: {
            serviceAccountName: JOB,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            restartPolicy: "Never",
            securityContext: POD_SECURITY,
            nodeSelector: poolSelector(ctx.config, "workload")!,
            // One at a time, in order: each step's transaction sees the ones before it committed.
            ...(steps.length > 1 ? { initContainers: steps.slice(0, -1) } : {}),
            containers: steps.slice(-1),
            volumes: [
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
              {
                name: "postgres-ca",
                configMap: {
                  name: POSTGRES_CA.configMap,
                  items: [{ key: POSTGRES_CA.key, path: POSTGRES_CA.key }],
                },
              },
              {
                name: "postgres-monitor",
                secret: {
                  secretName: MONITOR_SECRET,
                  items: [{ key: "DATABASE_URL", path: POSTGRES_ROLE_URL_FILE }],
                  defaultMode: 0o440,
                },
              },
              ...roles.map((r) =>
                identities
                  ? {
                      // The service's URL and its identity's object id, side by side in one folder.
                      name: volume(r.service),
                      projected: {
                        defaultMode: 0o440,
                        sources: [
                          {
                            secret: {
                              name: r.secret,
                              items: [{ key: "DATABASE_URL", path: POSTGRES_ROLE_URL_FILE }],
                            },
                          },
                          {
                            configMap: {
                              name: OBJECT_IDS,
                              items: [{ key: r.service, path: POSTGRES_ROLE_OBJECT_ID_FILE }],
                            },
                          },
                        ],
                      },
                    }
                  : {
                      name: volume(r.service),
                      secret: {
                        secretName: r.secret,
                        items: [{ key: "DATABASE_URL", path: POSTGRES_ROLE_URL_FILE }],
                        defaultMode: 0o440,
                      },
                    },
              ),
            ],
          },
        },
      },
    },
    {
      ...child,
      dependsOn: [
        ...((child.dependsOn as pulumi.Resource[]) ?? []),
        admin,
        account,
        monitor,
        ...secrets,
        ...(identities ? [identities] : []),
      ],
    },
  );
}
