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
}

export const CLUSTER_FACTS: Record<Cloud, ClusterFacts> = {
  aws: { nativeNodeAutoscaling: false },
  gcp: { nativeNodeAutoscaling: true },
  azure: { nativeNodeAutoscaling: true },
};
