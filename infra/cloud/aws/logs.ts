/**
 * Loki object storage (prod): private, KMS-encrypted S3 buckets for chunks and ruler, written by the
 * Loki ServiceAccount through IRSA. Dev keeps Loki on its filesystem volume and gets no bucket.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { awsPrivateBuckets } from "./bucket.ts";
import type { AwsIrsa } from "./identity.ts";

/** Loki keeps chunks and rule files apart (its docs warn against sharing one bucket). */
export const LOKI_BUCKETS = ["chunks", "ruler"] as const;

export interface AwsLogStorage {
  loki: WorkloadIdentity;
  values?: pulumi.Output<Record<string, unknown>>;
}

export function awsLogStorage(ctx: CloudContext, irsa: AwsIrsa, key: kms.Key): AwsLogStorage {
  const { profile, config } = ctx;
  if (!profile.objectLogStorage) {
    return { loki: unboundIdentity(SERVICE_ACCOUNTS.loki) };
  }
  // No lifecycle: Loki's compactor applies the retention and deletes what it expires.
  const { identity, buckets } = awsPrivateBuckets(ctx, irsa, {
    id: "loki",
    serviceAccount: SERVICE_ACCOUNTS.loki,
    buckets: LOKI_BUCKETS.map((purpose) => `loki-${purpose}`),
    key,
    objectActions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
  });
  const [chunks, ruler] = buckets;
  return {
    loki: identity,
    values: asValues(
      pulumi.all([chunks!.bucket, ruler!.bucket]).apply(([chunksName, rulerName]) => ({
        type: "s3",
        bucketNames: { chunks: chunksName, ruler: rulerName },
        s3: { region: config.region },
      })),
    ),
  };
}
