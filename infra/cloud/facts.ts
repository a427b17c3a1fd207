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
  dataplane: Dataplane;
  /**
   * Where a pod trades its workload identity for a cloud token. GKE: the node-local metadata server
   * (169.254.169.254:80, and :988 on Dataplane V2), which answers with the Google service account's
   * token itself. EKS and AKS: the cloud's public token service over HTTPS (regional STS, Entra
   * login.microsoftonline.com), with the projected ServiceAccount token the webhook mounts; the node
   * metadata endpoint is not needed there and stays closed to workloads.
   */
  workloadTokenEndpoint: "node-metadata" | "public-https";
}

/** Cilium's own policy kinds (cilium.io/v2): namespaced, and cluster-scoped. */
export type CiliumPolicyKind = "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy";

/**
 * A managed Cilium serves only the policy CRDs its cloud chose to install: AKS serves the namespaced
 * CiliumNetworkPolicy; GKE Dataplane V2 serves no namespaced kind at all, and CiliumClusterwideNetworkPolicy
 * only on a cluster created or updated with it enabled (GKE 1.28.6-gke.1095000 / 1.29.1-gke.1016000
 * and later, which every kubernetesVersion the config accepts is). A manifest of a kind the cluster
 * does not serve fails `pulumi up` with "no matches for kind".
 */
export type Dataplane = { engine: "vpc-cni" } | { engine: "cilium"; policyKind: CiliumPolicyKind };

export const CLUSTER_FACTS: Record<Cloud, ClusterFacts> = {
  aws: {
    nativeNodeAutoscaling: false,
    metricsServer: false,
    dataplane: { engine: "vpc-cni" },
    workloadTokenEndpoint: "public-https",
  },
  gcp: {
    nativeNodeAutoscaling: true,
    metricsServer: true,
    dataplane: { engine: "cilium", policyKind: "CiliumClusterwideNetworkPolicy" },
    workloadTokenEndpoint: "node-metadata",
  },
  azure: {
    nativeNodeAutoscaling: true,
    metricsServer: true,
    dataplane: { engine: "cilium", policyKind: "CiliumNetworkPolicy" },
    workloadTokenEndpoint: "public-https",
  },
};

/** The cluster must serve CiliumClusterwideNetworkPolicy (a setting on GKE, enabled by its cluster). */
export function servesClusterwideCiliumPolicy(facts: ClusterFacts): boolean {
  return (
    facts.dataplane.engine === "cilium" && facts.dataplane.policyKind === "CiliumClusterwideNetworkPolicy"
  );
}
