/** KEDA: event-driven autoscaling (the consumers scale on Kafka lag through ScaledObjects). */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { NS } from "./namespaces.ts";

export function installKeda(ctx: PlatformContext, deps: pulumi.Resource[]): k8s.helm.v3.Release {
  const replicas = ctx.sizing.controllerReplicas;
  const pdb = replicas > 1 ? { minAvailable: 1 } : {};
  const monitor = { enabled: true, serviceMonitor: { enabled: true } };
  return chartRelease(ctx, "keda", {
    namespace: NS.keda,
    dependsOn: deps,
    values: {
      crds: { install: true },
      // One nodeSelector for the operator, the metrics API server and the webhooks.
      ...onSystemNodes(ctx.config),
      // The operator is active/passive (leader election); a second replica shortens failover.
      operator: { replicaCount: replicas },
      webhooks: { replicaCount: replicas },
      podDisruptionBudget: { operator: pdb, webhooks: pdb },
      prometheus: { operator: monitor, metricServer: monitor, webhooks: monitor },
    },
  });
}
