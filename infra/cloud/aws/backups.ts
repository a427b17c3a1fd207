/**
 * Velero's backup bucket: private, versioned, KMS-encrypted S3 that refuses plain HTTP, written by the
 * Velero ServiceAccount through IRSA. Volumes are snapshotted through CSI (the EBS CSI driver), so the
 * role needs object access only.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import * as s3 from "@pulumi/aws/s3/index.js";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { CloudContext } from "../context.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";

export interface AwsBackupStorage {
  velero: WorkloadIdentity;
  storage?: BackupStorage;
}

export function awsBackupStorage(ctx: CloudContext, irsa: AwsIrsa, key: kms.Key): AwsBackupStorage {
  const { base, tags, opts, config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const name = `${base}-velero`;
  const bucket = new s3.Bucket(name, { bucketPrefix: `${name}-`, forceDestroy: false, tags }, opts);
  new s3.BucketVersioning(name, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  new s3.BucketServerSideEncryptionConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    },
    opts,
  );
  new s3.BucketPublicAccessBlock(
    name,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new s3.BucketLifecycleConfiguration(
    name,
    {
      bucket: bucket.id,
      rules: [
        {
          id: "expire-leftovers",
          status: "Enabled",
          filter: {},
          expiration: { days: config.platform.backups.ttlDays + BUCKET_GRACE_DAYS },
          // A deleted or overwritten backup stays recoverable for the grace period.
          noncurrentVersionExpiration: { noncurrentDays: BUCKET_GRACE_DAYS },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ],
    },
    opts,
  );
  new s3.BucketPolicy(
    name,
    {
      bucket: bucket.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    },
    opts,
  );
  const velero = irsaIdentity(ctx, irsa, "velero", SERVICE_ACCOUNTS.velero, [
    { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket.arn] },
    {
      Effect: "Allow",
      Action: [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
      ],
      Resource: [pulumi.interpolate`${bucket.arn}/*`],
    },
    { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [key.arn] },
  ]);
  return {
    velero,
    storage: {
      provider: "aws",
      bucket: bucket.bucket,
      config: asValues({ region: config.region }),
    },
  };
}
