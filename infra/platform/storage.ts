/**
 * Storage tiers: fast-ssd (Kafka, Prometheus) and standard-ssd (everything else), shaped per cloud
 * by the cloud layer, plus the VolumeSnapshotClass backups use.
 */
import * as k8s from "@pulumi/kubernetes";
import { standardLabels } from "../lib/labels.ts";
import type { PlatformContext } from "./context.ts";

export const STORAGE_CLASSES = { fast: "fast-ssd", standard: "standard-ssd" } as const;
export const SNAPSHOT_CLASS = "csi-snapshots";

export interface Storage {
  classes: k8s.storage.v1.StorageClass[];
  snapshotClass: k8s.apiextensions.CustomResource;
}

export function createStorage(ctx: PlatformContext): Storage {
  const { storageClasses } = ctx.cloud;
  const labels = (name: string) =>
    standardLabels({
      name,
      version: ctx.config.kubernetesVersion,
      component: "storage",
      environment: ctx.config.environment,
    });
  const tiers = [
    { name: STORAGE_CLASSES.fast, spec: storageClasses.fastSsd },
    { name: STORAGE_CLASSES.standard, spec: storageClasses.standardSsd },
  ];
  const classes = tiers.map(
    ({ name, spec }) =>
      new k8s.storage.v1.StorageClass(
        name,
        {
          metadata: { name, labels: labels(name) },
          provisioner: spec.provisioner,
          parameters: spec.parameters,
          // Bind in the pod's zone (zonal disks) and allow growing a full volume in place.
          volumeBindingMode: "WaitForFirstConsumer",
          allowVolumeExpansion: true,
          reclaimPolicy: ctx.sizing.volumeReclaimPolicy,
        },
        { parent: ctx.parent },
      ),
  );
  const snapshotClass = new k8s.apiextensions.CustomResource(
    SNAPSHOT_CLASS,
    {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      // Velero snapshots CSI volumes with the class carrying this label (one per driver).
      metadata: {
        name: SNAPSHOT_CLASS,
        labels: { ...labels(SNAPSHOT_CLASS), "velero.io/csi-volumesnapshot-class": "true" },
      },
      driver: storageClasses.snapshotDriver,
      deletionPolicy: ctx.sizing.snapshotDeletionPolicy,
    },
    { parent: ctx.parent },
  );
  return { classes, snapshotClass };
}
