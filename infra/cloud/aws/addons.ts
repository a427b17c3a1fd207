/**
 * EKS addons. The node-level ones (VPC CNI with network policy enforcement, kube-proxy) come before
 * the node groups so nodes join with the final CNI configuration; CoreDNS and the EBS CSI driver (on
 * its own IRSA role) are Deployments and come after, once there are nodes to run them.
 */
import * as eks from "@pulumi/aws/eks/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import type { AwsIrsa } from "./identity.ts";
import { managedPolicy } from "./partition.ts";

function addon(
  ctx: CloudContext,
  cluster: eks.Cluster,
  addonName: string,
  extra: Partial<eks.AddonArgs>,
  dependsOn: pulumi.Resource[],
): eks.Addon {
  return new eks.Addon(
    `${ctx.base}-${addonName}`,
    {
      clusterName: cluster.name,
      addonName,
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
      tags: ctx.tags,
      ...extra,
    },
    { ...ctx.opts, dependsOn },
  );
}

export function awsNodeAddons(ctx: CloudContext, cluster: eks.Cluster): eks.Addon[] {
  return [
    // Network policy enforcement by the VPC CNI: the apps' NetworkPolicies are not decoration.
    addon(
      ctx,
      cluster,
      "vpc-cni",
      { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) },
      [],
    ),
    addon(ctx, cluster, "kube-proxy", {}, []),
  ];
}

export function awsWorkloadAddons(
  ctx: CloudContext,
  cluster: eks.Cluster,
  nodeGroups: eks.NodeGroup[],
  irsa: AwsIrsa,
): eks.Addon[] {
  const ebsRole = irsa.role("ebs-csi", { namespace: "kube-system", name: "ebs-csi-controller-sa" });
  const ebsPolicy = new iam.RolePolicyAttachment(
    `${ctx.base}-ebs-csi`,
    {
      role: ebsRole.name,
      policyArn: managedPolicy(ctx.config.region, "service-role/AmazonEBSCSIDriverPolicy"),
    },
    ctx.opts,
  );
  return [
    addon(ctx, cluster, "coredns", {}, nodeGroups),
    // The VolumeSnapshot CRDs and controller: GKE and AKS ship them, EKS needs this addon before the
    // platform's VolumeSnapshotClass can exist.
    addon(ctx, cluster, "snapshot-controller", {}, nodeGroups),
    addon(ctx, cluster, "aws-ebs-csi-driver", { serviceAccountRoleArn: ebsRole.arn }, [
      ...nodeGroups,
      ebsPolicy,
    ]),
  ];
}
