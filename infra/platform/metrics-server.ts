/**
 * metrics-server: the resource metrics API (metrics.k8s.io) the HPAs and the VPA recommender read.
 * Installed only where the managed cluster does not run one itself (CloudLayer.facts.metricsServer:
 * EKS); GKE and AKS ship theirs. Values checked against the chart's values.yaml at the pinned tag.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { NS } from "./namespaces.ts";
import { onSystemNodes } from "./placement.ts";

export function installMetricsServer(
  ctx: PlatformContext,
  deps: pulumi.Resource[],
): k8s.helm.v3.Release | undefined {
  if (ctx.cloud.facts.metricsServer) return undefined;
  const replicas = ctx.sizing.controllerReplicas;
  return chartRelease(ctx, "metricsServer", {
    namespace: NS.metricsServer,
    dependsOn: deps,
    values: {
      ...onSystemNodes(ctx.config),
      // Every HPA in the cluster stalls while the API is down: more than one where the platform is HA.
      replicas,
      podDisruptionBudget: replicas > 1 ? { enabled: true, minAvailable: 1 } : { enabled: false },
      // Replicas in different zones, or a zone outage takes the metrics API with it.
      topologySpreadConstraints:
        replicas > 1
          ? [
              {
                topologyKey: "topology.kubernetes.io/zone",
                maxSkew: 1,
                whenUnsatisfiable: "ScheduleAnyway",
                labelSelector: { matchLabels: { "app.kubernetes.io/name": "metrics-server" } },
              },
            ]
          : [],
      metrics: { enabled: true },
      serviceMonitor: { enabled: true },
    },
  });
}
