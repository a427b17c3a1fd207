/**
 * Managed node groups in the private subnets, one per configured pool: least-privilege node role,
 * IMDSv2-only launch template with encrypted root volumes, spot or on-demand capacity.
 */
import * as ec2 from "@pulumi/aws/ec2/index.js";
import * as eks from "@pulumi/aws/eks/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { machineType } from "../sizes.ts";
import { POOL_ROLE_LABEL } from "../types.ts";
import type { AwsNetwork } from "./network.ts";
import { managedPolicy, serviceTrust } from "./partition.ts";

const NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonEKS_CNI_Policy",
  // Session Manager instead of SSH keys for node break-glass access.
  "AmazonSSMManagedInstanceCore",
];

export function awsNodeGroups(
  ctx: CloudContext,
  network: AwsNetwork,
  cluster: eks.Cluster,
  /** Node-level addons the nodes should join with (CNI configuration). */
  nodeAddons: eks.Addon[],
): eks.NodeGroup[] {
  const { base, tags, opts, config } = ctx;
  const region = config.region;
  const nodeRole = new iam.Role(
    `${base}-node`,
    { assumeRolePolicy: serviceTrust("ec2.amazonaws.com"), tags },
    opts,
  );
  const nodePolicies = NODE_POLICIES.map(
    (p) =>
      new iam.RolePolicyAttachment(
        `${base}-node-${p}`,
        { role: nodeRole.name, policyArn: managedPolicy(region, p) },
        opts,
      ),
  );

  // IMDSv2 with one hop: pods cannot reach the node role's credentials, they use IRSA instead.
  const launchTemplate = new ec2.LaunchTemplate(
    `${base}-nodes`,
    {
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: { volumeSize: 100, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
      tags,
    },
    opts,
  );

  const nodeGroups = config.nodePools.map(
    (pool) =>
      new eks.NodeGroup(
        `${base}-${pool.name}`,
        {
          clusterName: cluster.name,
          nodeGroupNamePrefix: `${pool.name}-`,
          nodeRoleArn: nodeRole.arn,
          subnetIds: network.privateSubnets.map((s) => s.id),
          amiType: "AL2023_x86_64_STANDARD",
          instanceTypes: [machineType("aws", pool.size)],
          capacityType: pool.spot ? "SPOT" : "ON_DEMAND",
          scalingConfig: { minSize: pool.minNodes, maxSize: pool.maxNodes, desiredSize: pool.minNodes },
          updateConfig: { maxUnavailablePercentage: 33 },
          launchTemplate: {
            id: launchTemplate.id,
            version: pulumi.interpolate`${launchTemplate.latestVersion}`,
          },
          labels: { [POOL_ROLE_LABEL]: pool.role },
          tags,
        },
        // The cluster autoscaler owns desiredSize after creation.
        {
          ...opts,
          dependsOn: [...nodePolicies, ...nodeAddons],
          ignoreChanges: ["scalingConfig.desiredSize"],
        },
      ),
  );
  return nodeGroups;
}
