/**
 * A private S3 bucket a workload identity may use, the one shape Loki's, Tempo's and Velero's storage
 * share: KMS-encrypted with bucket keys, every public access blocked, plain HTTP refused; versioning
 * and a lifecycle where the consumer's data wants them; and the IRSA role of the one ServiceAccount
 * that reads and writes it, scoped to these buckets' objects and the key.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import * as s3 from "@pulumi/aws/s3/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceAccountRef } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import type { WorkloadIdentity } from "../types.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";

export interface AwsPrivateBucketsArgs {
  /** The consumer: its IRSA role is `<base>-<id>`, trusted by exactly this ServiceAccount. */
  id: string;
  serviceAccount: ServiceAccountRef;
  /** Bucket names after the stack's base (`<base>-<name>`, the prefix S3 completes). */
  buckets: readonly string[];
  key: kms.Key;
  /** Object actions the consumer needs besides listing the buckets. */
  objectActions: readonly string[];
  /** Keeps overwritten and deleted objects as noncurrent versions. */
  versioned?: boolean;
  /**
   * Cleans up what the consumer never finishes or gets to: incomplete multipart uploads after a day;
   * with `expireDays`, objects that long after creation; with `noncurrentDays`, noncurrent versions
   * that long after they stopped being current. Omitted: no lifecycle.
   */
  lifecycle?: { expireDays?: number; noncurrentDays?: number };
}

export function awsPrivateBuckets(
  ctx: CloudContext,
  irsa: AwsIrsa,
  args: AwsPrivateBucketsArgs,
): { identity: WorkloadIdentity; buckets: s3.Bucket[] } {
  const { base, tags, opts } = ctx;
  const { key, lifecycle } = args;
  const buckets = args.buckets.map((purpose) => {
    const name = `${base}-${purpose}`;
    // Bucket names are global: a prefix lets S3 add a unique suffix.
    const bucket = new s3.Bucket(name, { bucketPrefix: `${name}-`, forceDestroy: false, tags }, opts);
    if (args.versioned)
      new s3.BucketVersioning(
        name,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        opts,
      );
    new s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            // Bucket keys cut KMS request costs by orders of magnitude for many small objects.
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
    if (lifecycle)
      new s3.BucketLifecycleConfiguration(
        name,
        {
          bucket: bucket.id,
          rules: [
            {
              id: "expire-leftovers",
              status: "Enabled",
              filter: {},
              ...(lifecycle.expireDays === undefined ? {} : { expiration: { days: lifecycle.expireDays } }),
              // A deleted or overwritten object stays recoverable this long.
              ...(lifecycle.noncurrentDays === undefined
                ? {}
                : { noncurrentVersionExpiration: { noncurrentDays: lifecycle.noncurrentDays } }),
              abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            },
          ],
        },
        opts,
      );
    // Plain-HTTP requests are refused outright, whoever makes them.
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
    return bucket;
  });
  const identity = irsaIdentity(ctx, irsa, args.id, args.serviceAccount, [
    { Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets.map((b) => b.arn) },
    {
      Effect: "Allow",
      Action: [...args.objectActions],
      Resource: buckets.map((b) => pulumi.interpolate`${b.arn}/*`),
    },
    { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [key.arn] },
  ]);
  return { identity, buckets };
}
