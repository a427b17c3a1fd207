/**
 * A private GCS bucket a workload identity may use, the one shape Loki's, Tempo's and Velero's storage
 * share: uniform bucket-level access with public access prevented (Google-managed encryption at
 * rest), versioning and lifecycle rules where the consumer's data wants them, and the consumer's own
 * Google service account (Workload Identity) as the one object admin of these buckets.
 */
import type * as container from "@pulumi/gcp/container/index.js";
import * as storage from "@pulumi/gcp/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceAccountRef } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import { type GcpWorkloadIdentity, gcpWorkloadIdentity } from "./identity.ts";

export interface GcpPrivateBucketsArgs {
  /** The consumer: its Google service account is derived from this id, impersonable by this ServiceAccount. */
  id: string;
  serviceAccount: ServiceAccountRef;
  /** Bucket names after the stack's base (`<base>-<name>-<suffix>`). */
  buckets: readonly string[];
  /** The consumer also reads the bucket's own metadata (storage.buckets.get, which objectAdmin lacks). */
  readsBucketMetadata?: boolean;
  /** Keeps overwritten and deleted objects as noncurrent versions. */
  versioned?: boolean;
  /**
   * Deletes what the consumer's own retention never got to: objects `expireDays` after creation,
   * noncurrent versions `noncurrentDays` after they stopped being current. Omitted: no lifecycle.
   */
  lifecycle?: { expireDays: number; noncurrentDays?: number };
}

export function gcpPrivateBuckets(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  /** Bucket names are global: the suffix keeps them unique across projects. */
  suffix: pulumi.Output<string>,
  args: GcpPrivateBucketsArgs,
): { identity: GcpWorkloadIdentity; buckets: storage.Bucket[] } {
  const { base, tags, opts, config } = ctx;
  const { lifecycle } = args;
  const identity = gcpWorkloadIdentity(ctx, project, cluster, args.id, args.serviceAccount);
  const buckets = args.buckets.map((purpose) => {
    const bucket = new storage.Bucket(
      `${base}-${purpose}`,
      {
        name: pulumi.interpolate`${base}-${purpose}-${suffix}`,
        project,
        location: config.region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        ...(args.versioned ? { versioning: { enabled: true } } : {}),
        ...(lifecycle
          ? {
              lifecycleRules: [
                { action: { type: "Delete" }, condition: { age: lifecycle.expireDays } },
                ...(lifecycle.noncurrentDays === undefined
                  ? []
                  : [
                      {
                        action: { type: "Delete" },
                        condition: { daysSinceNoncurrentTime: lifecycle.noncurrentDays },
                      },
                    ]),
              ],
            }
          : {}),
        forceDestroy: false,
        labels: tags,
      },
      opts,
    );
    new storage.BucketIAMMember(
      `${base}-${purpose}`,
      { bucket: bucket.name, role: "roles/storage.objectAdmin", member: identity.account.member },
      opts,
    );
    if (args.readsBucketMetadata)
      new storage.BucketIAMMember(
        `${base}-${purpose}-metadata`,
        { bucket: bucket.name, role: "roles/storage.legacyBucketReader", member: identity.account.member },
        opts,
      );
    return bucket;
  });
  return { identity, buckets };
}
