/**
 * Each Postgres user connects as a role of its own (services/shared/src/roles.ts), never as the
 * managed server's admin login:
 *
 *   - per service, an external-secrets Password generator and an ExternalSecret that renders the
 *     service's DATABASE_URL (its role, that password, the server's host/port/database/sslmode
 *     from the cloud's secret-store entry) into Secret `<service>-postgres`, created once: the
 *     password is generated in the cluster and never passes through Pulumi state or the plan;
 *   - one admin Job (`postgres-roles-<hash>`) that reads the admin URL from the store and every
 *     service's URL from those Secrets, and creates or updates each role, its schema and grants.
 *
 * The services' Deployments wait for the Job, so a migration never runs before its role exists. A
 * change to the set of roles changes the Job's name, so Pulumi runs it again.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
  POSTGRES_MONITOR_ROLE,
  POSTGRES_ROLE_URL_FILE,
  postgresRole,
} from "../../services/shared/src/contract.ts";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { poolSelector } from "../platform/placement.ts";
import { POSTGRES_CA, TMP_DIR } from "./constants.ts";
import { type AppsContext, imageOf, selectorLabels, serviceLabels } from "./context.ts";
import { postgresEgress } from "./network.ts";
import { postgresLoginSecret } from "./postgres-login.ts";
import { CONTAINER_SECURITY, POD_SECURITY } from "./pod.ts";
import type { ServiceProfile } from "./profile.ts";
import { MIGRATION_RESOURCES } from "./sizing.ts";
import { MONITOR_SECRET } from "./postgres-exporter.ts";

/** Where the Job finds one folder per service, each holding that service's URL. */
const ROLES_DIR = "/etc/postgres-roles";
/** Where the Job finds the monitoring login's URL. */
const MONITOR_DIR = "/etc/postgres-monitor";
const ADMIN_SECRET = "postgres-admin";
const JOB = "postgres-roles";

/** The Secret holding a Postgres user's DATABASE_URL (its own role). */
export const databaseSecretName = (profile: ServiceProfile) => `${profile.name}-postgres`;

/**
 * The service's role and password as a connection URL. The password generator draws letters and
 * digits only, so the password needs no escaping in a URL; the rest comes from the cloud's entry.
 */
export function databaseSecret(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return postgresLoginSecret(ctx, databaseSecretName(profile), postgresRole(profile.name), labels, {}, opts);
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

  const admin = new k8s.apiextensions.CustomResource(
    ADMIN_SECRET,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: objectMeta(ADMIN_SECRET, ns, labels),
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: ctx.platform.secretStoreName },
        target: { name: ADMIN_SECRET, creationPolicy: "Owner", template: { metadata: { labels } } },
        data: [
          { secretKey: "DATABASE_URL", remoteRef: { key: ctx.cloud.secrets.postgres, property: "url" } },
        ],
      },
    },
    crOpts,
  );
  const account = new k8s.core.v1.ServiceAccount(
    JOB,
    { metadata: objectMeta(JOB, ns, labels), automountServiceAccountToken: false },
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
        egress: [postgresEgress(ctx)],
      },
    },
    child,
  );

  const roles = users.map((u) => ({
    service: u.name,
    role: postgresRole(u.name),
    secret: databaseSecretName(u),
  }));
  const images = users.map((u) => imageOf(ctx.config, u.name));
  // A new role, image or server changes the name: Pulumi creates a new Job (which runs) and deletes the old one.
  const hash = createHash("sha256")
    .update(JSON.stringify({ roles, images, monitor: POSTGRES_MONITOR_ROLE }))
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
          metadata: { labels: { ...labels, "sidecar.istio.io/inject": "false" } },
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
              ...roles.map((r) => ({
                name: volume(r.service),
                secret: {
                  secretName: r.secret,
                  items: [{ key: "DATABASE_URL", path: POSTGRES_ROLE_URL_FILE }],
                  defaultMode: 0o440,
                },
              })),
            ],
          },
        },
      },
    },
    {
      ...child,
      dependsOn: [...((child.dependsOn as pulumi.Resource[]) ?? []), admin, account, monitor, ...secrets],
    },
  );
}
