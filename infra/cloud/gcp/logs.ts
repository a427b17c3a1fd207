/**
 * Loki object storage (prod): private GCS buckets for chunks and ruler (uniform access, public access
 * prevented) written by the Loki ServiceAccount through Workload Identity. Dev keeps the filesystem.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { gcpPrivateBuckets } from "./bucket.ts";

export const LOKI_BUCKETS = ["chunks", "ruler"] as const;

export interface GcpLogStorage {
  loki: WorkloadIdentity;
  values?: pulumi.Output<Values>;
}

export function gcpLogStorage(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  suffix: pulumi.Output<string>,
): GcpLogStorage {
  if (!ctx.profile.objectLogStorage) {
    return { loki: unboundIdentity(SERVICE_ACCOUNTS.loki) };
  }
  // No lifecycle: Loki's compactor applies the retention and deletes what it expires.
  const { identity, buckets } = gcpPrivateBuckets(ctx, project, cluster, suffix, {
    id: "loki",
    serviceAccount: SERVICE_ACCOUNTS.loki,
    buckets: LOKI_BUCKETS.map((purpose) => `loki-${purpose}`),
  });
  const [chunks, ruler] = buckets;
  return {
    loki: identity.identity,
    values: asValues(
      pulumi
        .all([chunks!.name, ruler!.name])
        .apply(([c, r]) => ({ type: "gcs", bucketNames: { chunks: c, ruler: r } })),
    ),
  };
}
