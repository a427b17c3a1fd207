/**
 * The VerticalPodAutoscaler recommender, alone: no updater and no admission controller, so nothing
 * ever evicts or resizes a pod. Workloads get VPA objects in recommendation mode (updateMode Off; the
 * apps layer creates them) because an HPA scaling on CPU and a VPA resizing CPU would fight over the
 * same signal; the recommendations are data for the sizing tables, read on the services' dashboards.
 * kube-state-metrics exports them (custom resource state; it dropped its built-in VPA metrics).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { NS } from "./namespaces.ts";

/** kube-state-metrics names a custom-resource metric kube_customresource_<name>. */
export const VPA_METRICS = {
  target: "kube_customresource_vpa_container_recommendation_target",
  lowerBound: "kube_customresource_vpa_container_recommendation_lower_bound",
  upperBound: "kube_customresource_vpa_container_recommendation_upper_bound",
} as const;

export function installVpaRecommender(
  ctx: PlatformContext,
  deps: pulumi.Resource[],
): k8s.helm.v3.Release | undefined {
  if (!ctx.config.platform.vpa.enabled) return undefined;
  const replicas = ctx.sizing.controllerReplicas;
  return chartRelease(ctx, "vpa", {
    namespace: NS.vpa,
    dependsOn: deps,
    values: {
      recommender: {
        enabled: true,
        replicaCount: replicas,
        extraArgs: {
          v: "2",
          // The floor below which a recommendation is noise (the seed's small containers start at 100m).
          "pod-recommendation-min-cpu-millicores": 15,
          "pod-recommendation-min-memory-mb": 100,
          // A standby takes over the recommendation loop when the leader's node goes.
          ...(replicas > 1 ? { "leader-elect": true } : {}),
        },
        podDisruptionBudget: replicas > 1 ? { maxUnavailable: 1 } : {},
        podMonitor: { enabled: true },
      },
      // Recommendation only: nothing may evict or mutate pods.
      updater: { enabled: false },
      admissionController: { enabled: false },
      // Managed clusters serve the metrics API themselves (the chart's metrics-server would clash).
      "metrics-server": { enabled: false },
    },
  });
}

/** kube-state-metrics values that export every VPA's per-container target and bounds. */
export function vpaStateMetrics() {
  const metric = (name: string, field: string, resource: "cpu" | "memory") => ({
    name,
    help: `VerticalPodAutoscaler ${field} recommendation per container (${resource}).`,
    commonLabels: { resource, unit: resource === "cpu" ? "core" : "byte" },
    each: {
      type: "Gauge",
      gauge: {
        path: ["status", "recommendation", "containerRecommendations"],
        valueFrom: [field, resource],
        labelsFromPath: { container: ["containerName"] },
      },
    },
  });
  const fields = [
    [VPA_METRICS.target, "target"],
    [VPA_METRICS.lowerBound, "lowerBound"],
    [VPA_METRICS.upperBound, "upperBound"],
  ] as const;
  return {
    rbac: {
      extraRules: [
        {
          apiGroups: ["autoscaling.k8s.io"],
          resources: ["verticalpodautoscalers"],
          verbs: ["list", "watch"],
        },
      ],
    },
    customResourceState: {
      enabled: true,
      config: {
        kind: "CustomResourceStateMetrics",
        spec: {
          resources: [
            {
              groupVersionKind: { group: "autoscaling.k8s.io", kind: "VerticalPodAutoscaler", version: "v1" },
              labelsFromPath: {
                namespace: ["metadata", "namespace"],
                verticalpodautoscaler: ["metadata", "name"],
                target_kind: ["spec", "targetRef", "kind"],
                target_name: ["spec", "targetRef", "name"],
              },
              // One metric per field: kube-state-metrics prefixes kube_customresource_.
              metrics: fields.flatMap(([full, field]) =>
                (["cpu", "memory"] as const).map((r) =>
                  metric(full.replace(/^kube_customresource_/, ""), field, r),
                ),
              ),
            },
          ],
        },
      },
    },
  };
}
