/** ServiceAccount and Deployment of a service. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { WorkloadIdentity } from "../cloud/types.ts";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { HTTP_PORT, PATHS } from "./constants.ts";
import type { AppsContext } from "./context.ts";
import { type PodArgs, podTemplate } from "./pod.ts";
import type { ServiceProfile, Sizing } from "./profile.ts";
import { ROLLOUT_SURGE } from "./sizing.ts";

export function serviceAccount(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  identity: WorkloadIdentity | undefined,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ServiceAccount {
  return new k8s.core.v1.ServiceAccount(
    profile.name,
    {
      metadata: {
        ...objectMeta(profile.name, ctx.platform.appNamespace, labels),
        // IRSA / GKE / Entra workload identity: the cloud role this ServiceAccount may assume.
        ...(identity ? { annotations: identity.serviceAccountAnnotations } : {}),
      },
      automountServiceAccountToken: false,
    },
    opts,
  );
}

/** Pod annotations: mesh behaviour and the config checksum that rolls pods on config changes. */
export function podAnnotations(
  ctx: AppsContext,
  profile: ServiceProfile,
  checksum: string,
): Record<string, string> {
  return {
    "checksum/config": checksum,
    // Istio merges these app metrics into the sidecar's plaintext :15020 endpoint (see MERGED_METRICS).
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(HTTP_PORT),
    "prometheus.io/path": PATHS.metrics,
    // The app connects to Kafka and Postgres at startup: only once its sidecar can carry traffic.
    "proxy.istio.io/config": JSON.stringify({ holdApplicationUntilProxyStarts: true }),
    // The migration init container runs before a (non-native) sidecar exists; Postgres traffic is
    // TLS end to end to a managed database outside the mesh, so it bypasses the proxy.
    ...(profile.database
      ? { "traffic.sidecar.istio.io/excludeOutboundPorts": String(ctx.cloud.postgres.port) }
      : {}),
  };
}

export function deployment(
  ctx: AppsContext,
  args: PodArgs & { sizing: Sizing },
  opts: pulumi.CustomResourceOptions,
): k8s.apps.v1.Deployment {
  const { profile, sizing } = args;
  return new k8s.apps.v1.Deployment(
    profile.name,
    {
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, args.labels),
      spec: {
        // The autoscaler's floor; after creation the autoscaler owns the count (ignoreChanges below).
        replicas: sizing.replicas.min,
        selector: { matchLabels: args.selector },
        revisionHistoryLimit: 5,
        // A new pod must stay ready this long before the rollout continues: catches crash-on-traffic.
        minReadySeconds: 10,
        progressDeadlineSeconds: 600,
        strategy: {
          type: "RollingUpdate",
          // Never below the serving count during a rollout; surge instead.
          rollingUpdate: { maxUnavailable: 0, maxSurge: `${ROLLOUT_SURGE * 100}%` },
        },
        template: podTemplate(ctx, args),
      },
    },
    { ...opts, ignoreChanges: ["spec.replicas"] },
  );
}
