/**
 * EKS managed node groups do not scale themselves: their Auto Scaling groups change size only when
 * something sets the desired capacity. The cluster-autoscaler (installed by the platform) does, through
 * IRSA. EKS tags each managed node group's Auto Scaling group with k8s.io/cluster-autoscaler/enabled
 * and k8s.io/cluster-autoscaler/<cluster>=owned, which auto-discovery matches; the write actions are
 * limited to groups carrying this cluster's tag (the upstream AWS guide's policy, narrowed by tag).
 */
import type * as eks from "@pulumi/aws/eks/index.js";
import { NODE_AUTOSCALER_SERVICE_ACCOUNT } from "../../names.ts";
import type { CloudContext } from "../context.ts";
import type { CloudLayer } from "../types.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";

export function awsNodeAutoscaler(
  ctx: CloudContext,
  irsa: AwsIrsa,
  cluster: eks.Cluster,
): NonNullable<CloudLayer["nodeAutoscaler"]> {
  const identity = irsaIdentity(
    ctx,
    irsa,
    "cluster-autoscaler",
    NODE_AUTOSCALER_SERVICE_ACCOUNT,
    cluster.name.apply((name) => [
      {
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
          // Labels and taints of a node group at zero nodes (scale from zero).
          "eks:DescribeNodegroup",
        ],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
        Resource: "*",
        Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${name}`]: "owned" } },
      },
    ]),
  );
  return {
    identity,
    values: cluster.name.apply((clusterName): Record<string, unknown> => ({
      cloudProvider: "aws",
      awsRegion: ctx.config.region,
      autoDiscovery: { clusterName },
    })),
  };
}
