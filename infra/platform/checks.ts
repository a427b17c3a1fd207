/**
 * What would stop a platform release at `pulumi up`, checked from the config before anything runs.
 * Problems, not throws (the caller reports them all in one ConfigError).
 */
import type { StackConfig } from "../config.ts";
import type { ClusterFacts } from "../cloud/facts.ts";
import { CLUSTER_AUTOSCALER_IMAGE_TAGS } from "./versions.ts";

/** The cluster-autoscaler image for a Kubernetes minor: the autoscaler supports only its own minor. */
export function autoscalerImageTag(kubernetesVersion: string): { tag?: string; problem?: string } {
  const tag = CLUSTER_AUTOSCALER_IMAGE_TAGS[kubernetesVersion];
  if (tag) return { tag };
  return {
    problem: `kubernetesVersion: ${kubernetesVersion} has no pinned cluster-autoscaler release, which must match the cluster's minor (supported: ${Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS).join(", ")})`,
  };
}

export function platformProblems(config: StackConfig, facts: ClusterFacts): string[] {
  const out: string[] = [];
  if (!facts.nativeNodeAutoscaling) {
    const { problem } = autoscalerImageTag(config.kubernetesVersion);
    if (problem) out.push(problem);
  }
  return out;
}
