/**
 * Tempo's object storage (platform.tracing.objectStorage, prod by default): a private, KMS-encrypted
 * S3 bucket written by Tempo's ServiceAccount through IRSA, with the permissions Tempo's S3 docs list
 * and the lifecycle rule they recommend (incomplete multipart uploads gone after a day). Tempo's
 * compactor applies the retention itself. Otherwise Tempo keeps its blocks on its volume.
 */
import type * as kms from "@pulumi/aws/kms/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import { objectTraceStorage, unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { awsPrivateBuckets } from "./bucket.ts";
import type { AwsIrsa } from "./identity.ts";
import { s3Endpoint } from "./partition.ts";

export interface AwsTraceStorage {
  tempo: WorkloadIdentity;
  values?: pulumi.Output<Values>;
}

export function awsTraceStorage(ctx: CloudContext, irsa: AwsIrsa, key: kms.Key): AwsTraceStorage {
  const { config } = ctx;
  if (!objectTraceStorage(config)) return { tempo: unboundIdentity(SERVICE_ACCOUNTS.tempo) };
  const {
    identity,
    buckets: [bucket],
  } = awsPrivateBuckets(ctx, irsa, {
    id: "tempo",
    serviceAccount: SERVICE_ACCOUNTS.tempo,
    buckets: ["tempo-traces"],
    key,
    objectActions: [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:GetObjectTagging",
      "s3:PutObjectTagging",
    ],
    lifecycle: {},
  });
  return {
    tempo: identity,
    values: asValues(
      bucket!.bucket.apply((name) => ({
        backend: "s3",
        s3: { bucket: name, endpoint: s3Endpoint(config.region), region: config.region },
      })),
    ),
  };
}
