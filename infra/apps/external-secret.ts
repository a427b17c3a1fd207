/**
 * The one shape every Secret of the apps layer has: an ExternalSecret that external-secrets syncs from
 * the cloud secret store through the platform's ClusterSecretStore into a Secret of the same name.
 * Only entry names appear in manifests; values never leave the store.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";

/** How often external-secrets re-reads the store: rotations reach the cluster within this. */
export const REFRESH_INTERVAL = "1h";

/** One key of the Secret, read from a store entry (or one property of it). */
export interface StoreKey {
  /** Key in the Kubernetes Secret (for envFrom: the env var name the service reads). */
  secretKey: string;
  remoteRef: { key: string; property?: string };
}

export interface StoreSecretSpec {
  data: StoreKey[];
  /** Keys rendered from the fetched values (external-secrets templates), beside the fetched ones. */
  templateData?: Record<string, pulumi.Input<string>>;
  /** Default: re-read every REFRESH_INTERVAL. "CreatedOnce" renders it once (a generated password). */
  refreshPolicy?: "CreatedOnce";
  /** Further sources, e.g. an external-secrets generator. */
  dataFrom?: Record<string, unknown>[];
}

export function storeSecret(
  ctx: AppsContext,
  name: string,
  labels: Labels,
  spec: StoreSecretSpec,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: objectMeta(name, ctx.platform.appNamespace, labels),
      spec: {
        ...(spec.refreshPolicy
          ? { refreshPolicy: spec.refreshPolicy }
          : { refreshInterval: REFRESH_INTERVAL }),
        ...(spec.dataFrom ? { dataFrom: spec.dataFrom } : {}),
        secretStoreRef: { kind: "ClusterSecretStore", name: ctx.platform.secretStoreName },
        target: {
          name,
          // The Secret lives and dies with its ExternalSecret; labels make it attributable.
          creationPolicy: "Owner",
          template: { metadata: { labels }, ...(spec.templateData ? { data: spec.templateData } : {}) },
        },
        data: spec.data,
      },
    },
    opts,
  );
}
