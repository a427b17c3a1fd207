/**
 * What a managed cluster of each cloud brings by itself, as plain facts the layers above read
 * (through CloudLayer, or before anything runs, through the checks) instead of branching on the cloud.
 */
import type { Cloud } from "../config.ts";

export interface ClusterFacts {
  /**
   * The cloud scales node pools itself (GKE, AKS: enabled in their pool definitions). Where it does
   * not (EKS managed node groups), the platform installs cluster-autoscaler (CloudLayer.nodeAutoscaler).
   */
  nativeNodeAutoscaling: boolean;
  /**
   * The managed cluster runs metrics-server itself, serving the resource metrics API the HPAs and
   * the VPA recommender read (GKE and AKS do; EKS does not: the platform installs it).
   */
  metricsServer: boolean;
  /**
   * What enforces NetworkPolicies. On Cilium (AKS Azure CNI powered by Cilium, GKE Dataplane V2) a
   * node's own addresses are the entities `host` and `remote-node`, which ipBlock rules never match;
   * the VPC CNI's policy agent (EKS) matches node addresses by ipBlock.
   */
  dataplane: "cilium" | "vpc-cni";
}

export const CLUSTER_FACTS: Record<Cloud, ClusterFacts> = {
  aws: { nativeNodeAutoscaling: false, metricsServer: false, dataplane: "vpc-cni" },
  gcp: { nativeNodeAutoscaling: true, metricsServer: true, dataplane: "cilium" },
  azure: { nativeNodeAutoscaling: true, metricsServer: true, dataplane: "cilium" },
};
