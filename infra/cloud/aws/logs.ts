/**
 * Loki object storage (prod): private, KMS-encrypted S3 buckets for chunks and ruler, written by the
 * Loki ServiceAccount through IRSA. Dev keeps Loki on its filesystem volume and gets no bucket.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import * as s3 from "@pulumi/aws/s3/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";

/** Loki keeps chunks and rule files apart (its docs warn against sharing one bucket). */
export const LOKI_BUCKETS = ["chunks", "ruler"] as const;

export interface AwsLogStorage {
  loki: WorkloadIdentity;
  values?: pulumi.Output<Record<string, unknown>>;
}

export function awsLogStorage(ctx: CloudContext, irsa: AwsIrsa, key: kms.Key): AwsLogStorage {
  const { base, tags, opts, profile, config } = ctx;
  if (!profile.objectLogStorage) {
    return { loki: { serviceAccount: SERVICE_ACCOUNTS.loki, serviceAccountAnnotations: {}, podLabels: {} } };
  }
  const buckets = LOKI_BUCKETS.map((purpose) => {
    const bucket = new s3.Bucket(
      `${base}-loki-${purpose}`,
      // Bucket names are global: a prefix lets S3 add a unique suffix.
      { bucketPrefix: `${base}-loki-${purpose}-`, forceDestroy: false, tags },
      opts,
    );
    new s3.BucketServerSideEncryptionConfiguration(
      `${base}-loki-${purpose}`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
            // Bucket keys cut KMS request costs by orders of magnitude for Loki's many small objects.
            bucketKeyEnabled: true,
          },
        ],
      },
      opts,
    );
    new s3.BucketPublicAccessBlock(
      `${base}-loki-${purpose}`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      opts,
    );
    // Plain-HTTP requests are refused outright, whoever makes them.
    new s3.BucketPolicy(
      `${base}-loki-${purpose}`,
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

  const loki = irsaIdentity(ctx, irsa, "loki", SERVICE_ACCOUNTS.loki, [
    { Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets.map((b) => b.arn) },
    {
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      Resource: buckets.map((b) => pulumi.interpolate`${b.arn}/*`),
    },
    { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [key.arn] },
  ]);

  const [chunks, ruler] = buckets;
  return {
    loki,
    values: asValues(
      pulumi.all([chunks!.bucket, ruler!.bucket]).apply(([chunksName, rulerName]) => ({
        type: "s3",
        bucketNames: { chunks: chunksName, ruler: rulerName },
        s3: { region: config.region },
      })),
    ),
  };
}
