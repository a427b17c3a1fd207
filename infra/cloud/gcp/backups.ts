/**
 * Velero's backup bucket: a private GCS bucket (uniform access, public access prevented, versioned)
 * written by Velero's Google service account through Workload Identity. The account may sign URLs
 * as itself, which `velero backup logs` / `describe --details` (the restore drill) need.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
import * as storage from "@pulumi/gcp/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { CloudContext } from "../context.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { gcpWorkloadIdentity } from "./identity.ts";

export interface GcpBackupStorage {
  velero: WorkloadIdentity;
  storage?: BackupStorage;
}

export function gcpBackupStorage(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  suffix: pulumi.Output<string>,
): GcpBackupStorage {
  const { base, tags, opts, config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const velero = gcpWorkloadIdentity(ctx, project, cluster, "velero", SERVICE_ACCOUNTS.velero);
  const bucket = new storage.Bucket(
    `${base}-velero`,
    {
      name: pulumi.interpolate`${base}-velero-${suffix}`,
      project,
      location: config.region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      lifecycleRules: [
        {
          action: { type: "Delete" },
          condition: { age: config.platform.backups.ttlDays + BUCKET_GRACE_DAYS },
        },
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: BUCKET_GRACE_DAYS } },
      ],
      forceDestroy: false,
      labels: tags,
    },
    opts,
  );
  new storage.BucketIAMMember(
    `${base}-velero`,
    { bucket: bucket.name, role: "roles/storage.objectAdmin", member: velero.account.member },
    opts,
  );
  new serviceaccount.IAMMember(
    `${base}-velero-signer`,
    {
      serviceAccountId: velero.account.id,
      role: "roles/iam.serviceAccountTokenCreator",
      member: velero.account.member,
    },
    opts,
  );
  return {
    velero: velero.identity,
    storage: {
      provider: "gcp",
      bucket: bucket.name,
      config: asValues(velero.account.email.apply((serviceAccount) => ({ serviceAccount }))),
    },
  };
}
