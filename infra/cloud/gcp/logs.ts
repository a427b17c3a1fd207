/**
 * Loki object storage (prod): private GCS buckets for chunks and ruler (uniform access, public access
 * prevented) written by the Loki ServiceAccount through Workload Identity. Dev keeps the filesystem.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as storage from "@pulumi/gcp/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { gcpWorkloadIdentity } from "./identity.ts";

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
  const { base, tags, opts, config, profile } = ctx;
  if (!profile.objectLogStorage) {
    return { loki: { serviceAccount: SERVICE_ACCOUNTS.loki, serviceAccountAnnotations: {}, podLabels: {} } };
  }
  const loki = gcpWorkloadIdentity(ctx, project, cluster, "loki", SERVICE_ACCOUNTS.loki);
  const buckets = LOKI_BUCKETS.map((purpose) => {
    const bucket = new storage.Bucket(
      `${base}-loki-${purpose}`,
      {
        // Bucket names are global: the suffix keeps them unique across projects.
        name: pulumi.interpolate`${base}-loki-${purpose}-${suffix}`,
        project,
        location: config.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: false,
        labels: tags,
      },
      opts,
    );
    new storage.BucketIAMMember(
      `${base}-loki-${purpose}`,
      { bucket: bucket.name, role: "roles/storage.objectAdmin", member: loki.account.member },
      opts,
    );
    return bucket;
  });
  const [chunks, ruler] = buckets;
  return {
    loki: loki.identity,
    values: asValues(
      pulumi
        .all([chunks!.name, ruler!.name])
        .apply(([c, r]) => ({ type: "gcs", bucketNames: { chunks: c, ruler: r } })),
    ),
  };
}
