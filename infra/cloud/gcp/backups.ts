/**
 * Velero's backup bucket: a private GCS bucket (uniform access, public access prevented, versioned)
 * written by Velero's Google service account through Workload Identity. The account may sign URLs
 * as itself, which `velero backup logs` / `describe --details` (the restore drill) need.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { CloudContext } from "../context.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { gcpPrivateBuckets } from "./bucket.ts";

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
  const { base, opts, config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const {
    identity: velero,
    buckets: [bucket],
  } = gcpPrivateBuckets(ctx, project, cluster, suffix, {
    id: "velero",
    serviceAccount: SERVICE_ACCOUNTS.velero,
    buckets: ["velero"],
    versioned: true,
    lifecycle: {
      expireDays: config.platform.backups.ttlDays + BUCKET_GRACE_DAYS,
      noncurrentDays: BUCKET_GRACE_DAYS,
    },
  });
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
      bucket: bucket!.name,
      config: asValues(velero.account.email.apply((serviceAccount) => ({ serviceAccount }))),
    },
  };
}
