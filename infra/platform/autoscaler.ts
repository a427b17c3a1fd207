/**
 * The node autoscaler, where the cloud layer asks for one (EKS: managed node groups have no scaler
 * of their own). cluster-autoscaler in kube-system with the cloud's identity and auto-discovery
 * values; the image matches the cluster's minor version, as the autoscaler supports only its own.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { ConfigError } from "../config.ts";
import { autoscalerImageTag } from "./checks.ts";

export function installNodeAutoscaler(ctx: PlatformContext): k8s.helm.v3.Release | undefined {
  const scaler = ctx.cloud.nodeAutoscaler;
  if (!scaler) return undefined;
  // validateStack reports this before the program runs; here only as the program's own guard.
  const { tag, problem } = autoscalerImageTag(ctx.config.kubernetesVersion);
  if (!tag) throw new ConfigError([problem!]);
  const sa = scaler.identity.serviceAccount;
  return chartRelease(ctx, "clusterAutoscaler", {
    namespace: sa.namespace,
    values: pulumi
      .all([scaler.values, scaler.identity.serviceAccountAnnotations])
      .apply(([cloudValues, annotations]) => ({
        ...cloudValues,
        fullnameOverride: sa.name,
        image: { tag },
        replicaCount: ctx.sizing.controllerReplicas,
        rbac: {
          serviceAccount: { create: true, name: sa.name, annotations },
        },
        podLabels: scaler.identity.podLabels,
        ...onSystemNodes(ctx.config),
        extraArgs: {
          // Pick the pool whose nodes fit the pending pods with the least idle capacity left over.
          expander: "least-waste",
          // Zonal groups of one pool grow together, so zone spreading keeps working as they scale.
          "balance-similar-node-groups": true,
          "skip-nodes-with-local-storage": false,
        },
        // Its own scale-down must never evict the last autoscaler (the chart's default, stated).
        podDisruptionBudget: { maxUnavailable: 1 },
        priorityClassName: "system-cluster-critical",
      })),
  });
}
