/**
 * Velero's backup bucket: private, versioned, KMS-encrypted S3 that refuses plain HTTP, written by the
 * Velero ServiceAccount through IRSA. Volumes are snapshotted through CSI (the EBS CSI driver), so the
 * role needs object access only.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { CloudContext } from "../context.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { awsPrivateBuckets } from "./bucket.ts";
import type { AwsIrsa } from "./identity.ts";

export interface AwsBackupStorage {
  velero: WorkloadIdentity;
  storage?: BackupStorage;
}

export function awsBackupStorage(ctx: CloudContext, irsa: AwsIrsa, key: kms.Key): AwsBackupStorage {
  const { config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const {
    identity,
    buckets: [bucket],
  } = awsPrivateBuckets(ctx, irsa, {
    id: "velero",
    serviceAccount: SERVICE_ACCOUNTS.velero,
    buckets: ["velero"],
    key,
    objectActions: [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ],
    versioned: true,
    lifecycle: {
      expireDays: config.platform.backups.ttlDays + BUCKET_GRACE_DAYS,
      noncurrentDays: BUCKET_GRACE_DAYS,
    },
  });
  return {
    velero: identity,
    storage: {
      provider: "aws",
      bucket: bucket!.bucket,
      config: asValues({ region: config.region }),
    },
  };
}
