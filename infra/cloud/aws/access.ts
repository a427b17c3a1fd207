/**
 * EKS access entries (the API, not the aws-auth ConfigMap): config.aws.adminRoleArns get the
 * cluster-admin access policy on the whole cluster.
 */
import * as eks from "@pulumi/aws/eks/index.js";
import type { CloudContext } from "../context.ts";

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

export function awsAdminAccess(ctx: CloudContext, cluster: eks.Cluster): void {
  const { base, tags, opts, config } = ctx;
  for (const arn of config.aws.adminRoleArns) {
    const id = arn.split("/").pop()!;
    const entry = new eks.AccessEntry(
      `${base}-admin-${id}`,
      { clusterName: cluster.name, principalArn: arn, type: "STANDARD", tags },
      opts,
    );
    new eks.AccessPolicyAssociation(
      `${base}-admin-${id}`,
      {
        clusterName: cluster.name,
        principalArn: entry.principalArn,
        policyArn: CLUSTER_ADMIN_POLICY,
        accessScope: { type: "cluster" },
      },
      opts,
    );
  }
}
