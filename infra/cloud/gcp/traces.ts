/**
 * Tempo's object storage (platform.tracing.objectStorage, prod by default): a private GCS bucket
 * written by Tempo's Google service account through Workload Identity. Tempo checks the bucket exists
 * at start (storage.buckets.get, in its GCS docs' list), so the account also reads bucket metadata.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import { objectTraceStorage, unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { gcpPrivateBuckets } from "./bucket.ts";

export interface GcpTraceStorage {
  tempo: WorkloadIdentity;
  values?: pulumi.Output<Values>;
}

export function gcpTraceStorage(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  suffix: pulumi.Output<string>,
): GcpTraceStorage {
  if (!objectTraceStorage(ctx.config)) return { tempo: unboundIdentity(SERVICE_ACCOUNTS.tempo) };
  const {
    identity,
    buckets: [bucket],
  } = gcpPrivateBuckets(ctx, project, cluster, suffix, {
    id: "tempo",
    serviceAccount: SERVICE_ACCOUNTS.tempo,
    buckets: ["tempo-traces"],
    readsBucketMetadata: true,
  });
  return {
    tempo: identity.identity,
    values: asValues(bucket!.name.apply((name) => ({ backend: "gcs", gcs: { bucket_name: name } }))),
  };
}
