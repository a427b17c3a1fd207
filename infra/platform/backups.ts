/**
 * Backups that restore: Velero with a daily schedule per namespace that keeps state (Kubernetes objects
 * plus CSI snapshots of its volumes) and one for every namespace's objects (the configuration), into the
 * cloud's object storage under Velero's workload identity (CloudLayer.backupStorage). Nothing runs as
 * root and no node agent is needed: volumes are snapshotted through the CSI snapshot API with the
 * platform's VolumeSnapshotClass. docs/operations.md has the restore drill (infra/ops/restore-drill.sh).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../names.ts";
import { chartRelease, type PlatformContext } from "./context.ts";
import { STATEFUL_NAMESPACES } from "./names.ts";
import { VELERO_PLUGINS } from "./versions.ts";

export const VELERO_NAMESPACE = SERVICE_ACCOUNTS.velero.namespace;
export const BACKUP_LOCATION = "default";
/** Schedule names the restore drill and the alerts refer to. */
export const SCHEDULES = {
  stateful: (namespace: string) => `stateful-${namespace}`,
  resources: "cluster-resources",
} as const;
/** A daily backup older than this has been missed at least once. */
export const BACKUP_MAX_AGE_HOURS = 36;

const NON_ROOT = 65532;
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

export function installBackups(
  ctx: PlatformContext,
  deps: pulumi.Resource[],
): k8s.helm.v3.Release | undefined {
  const { backups } = ctx.config.platform;
  if (!backups.enabled) return undefined;
  const storage = ctx.cloud.backupStorage;
  if (!storage) throw new Error("platform.backups.enabled, but the cloud layer provides no backupStorage");
  const identity = ctx.cloud.identities.velero;
  const ttl = `${backups.ttlDays * 24}h0m0s`;
  const template = (namespaces: string[], snapshotVolumes: boolean) => ({
    ttl,
    storageLocation: BACKUP_LOCATION,
    includedNamespaces: namespaces,
    snapshotVolumes,
    // Cluster-scoped objects the namespaces use (PVs, CRDs) come along with them.
    includeClusterResources: true,
  });
  const schedules = {
    ...Object.fromEntries(
      STATEFUL_NAMESPACES.map((ns) => [
        SCHEDULES.stateful(ns),
        { schedule: backups.schedule, useOwnerReferencesInBackup: false, template: template([ns], true) },
      ]),
    ),
    [SCHEDULES.resources]: {
      schedule: backups.schedule,
      useOwnerReferencesInBackup: false,
      template: template(["*"], false),
    },
  };
  return chartRelease(ctx, "velero", {
    namespace: VELERO_NAMESPACE,
    dependsOn: deps,
    values: pulumi.all([storage.bucket, storage.config]).apply(([bucket, config]) => ({
      initContainers: [
        {
          name: `velero-plugin-for-${storage.provider}`,
          image: VELERO_PLUGINS[storage.provider],
          imagePullPolicy: "IfNotPresent",
          securityContext: CONTAINER_SECURITY,
          volumeMounts: [{ mountPath: "/target", name: "plugins" }],
        },
      ],
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: NON_ROOT,
        runAsGroup: NON_ROOT,
        fsGroup: NON_ROOT,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containerSecurityContext: CONTAINER_SECURITY,
      kubectl: { containerSecurityContext: CONTAINER_SECURITY },
      podLabels: identity.podLabels,
      serviceAccount: {
        server: {
          create: true,
          name: identity.serviceAccount.name,
          annotations: identity.serviceAccountAnnotations,
        },
      },
      // Workload identity: no credentials Secret at all.
      credentials: { useSecret: false },
      configuration: {
        backupStorageLocation: [
          {
            name: BACKUP_LOCATION,
            provider: storage.provider,
            bucket,
            // One bucket may serve several clusters; each keeps to its own prefix.
            prefix: `${ctx.config.project}-${ctx.config.stack}`,
            default: true,
            config,
          },
        ],
        // CSI snapshots through the VolumeSnapshotClass labelled for Velero (storage.ts).
        features: "EnableCSI",
        defaultBackupTTL: ttl,
      },
      // No provider-native VolumeSnapshotLocation: the CSI driver takes the snapshots.
      snapshotsEnabled: false,
      deployNodeAgent: false,
      upgradeCRDs: true,
      metrics: {
        enabled: true,
        serviceMonitor: { enabled: true },
        prometheusRule: { enabled: true, spec: backupAlerts(ctx, Object.keys(schedules)) },
      },
      schedules,
    })),
  });
}

/** A failed backup pages at once in prod; a schedule with no success for 36 h has been missed. */
function backupAlerts(ctx: PlatformContext, schedules: string[]) {
  const severity = ctx.config.environment === "prod" ? "critical" : "warning";
  const names = schedules.join("|");
  return [
    {
      alert: "VeleroBackupFailed",
      expr: `increase(velero_backup_failure_total{schedule=~"${names}"}[1h]) > 0`,
      labels: { severity },
      annotations: { summary: "Velero backup of schedule {{ $labels.schedule }} failed" },
    },
    {
      alert: "VeleroBackupTooOld",
      expr: `time() - velero_backup_last_successful_timestamp{schedule=~"${names}"} > ${BACKUP_MAX_AGE_HOURS} * 3600`,
      labels: { severity },
      annotations: {
        summary: `No successful backup of schedule {{ $labels.schedule }} for ${BACKUP_MAX_AGE_HOURS} hours`,
      },
    },
  ];
}
