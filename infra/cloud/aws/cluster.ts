/**
 * EKS: private nodes in managed node groups, every control-plane log type, envelope-encrypted Secrets,
 * an OIDC provider for IRSA, access entries (no aws-auth ConfigMap) and the EBS CSI driver.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as ec2 from "@pulumi/aws/ec2/index.js";
import * as eks from "@pulumi/aws/eks/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import type * as kms from "@pulumi/aws/kms/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { machineType } from "../sizes.ts";
import { logRetentionDays } from "./flowlogs.ts";
import type { AwsIrsa } from "./identity.ts";
import type { AwsNetwork } from "./network.ts";
import { managedPolicy, serviceTrust } from "./partition.ts";

/** All five control-plane log streams: audit and authenticator are what incident response needs. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonEKS_CNI_Policy",
  // Session Manager instead of SSH keys for node break-glass access.
  "AmazonSSMManagedInstanceCore",
];
/** Node label the platform schedules on; system pools carry operators, workload pools the services. */
export const POOL_ROLE_LABEL = "llmops.io/pool-role";

export interface AwsCluster {
  cluster: eks.Cluster;
  oidcProvider: iam.OpenIdConnectProvider;
  /** Issuer host without https://, the prefix of IRSA trust-policy condition keys. */
  oidcIssuer: pulumi.Output<string>;
  nodeGroups: eks.NodeGroup[];
  /** Finishes the cluster once IRSA exists (addons whose controllers need a cloud identity). */
  addAddons(irsa: AwsIrsa): eks.Addon[];
}

export function awsCluster(ctx: CloudContext, network: AwsNetwork, key: kms.Key): AwsCluster {
  const { base, tags, opts, config, profile } = ctx;
  const region = config.region;

  const clusterRole = new iam.Role(
    `${base}-cluster`,
    { assumeRolePolicy: serviceTrust("eks.amazonaws.com"), tags },
    opts,
  );
  const clusterPolicy = new iam.RolePolicyAttachment(
    `${base}-cluster`,
    { role: clusterRole.name, policyArn: managedPolicy(region, "AmazonEKSClusterPolicy") },
    opts,
  );

  // EKS wraps Secrets with the key as the cluster role: it needs to use (not manage) the key.
  const clusterKeyUse = new iam.RolePolicy(
    `${base}-cluster-kms`,
    {
      role: clusterRole.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            Resource: [key.arn],
          },
        ],
      }),
    },
    opts,
  );

  // Created up front so retention is ours (EKS would create it without expiry) and tagged.
  const logGroup = new cloudwatch.LogGroup(
    `${base}-control-plane`,
    { name: `/aws/eks/${base}/cluster`, retentionInDays: logRetentionDays(ctx), tags },
    opts,
  );

  const publicCidrs = config.apiAllowedCidrs;
  const cluster = new eks.Cluster(
    base,
    {
      name: base,
      version: config.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: network.privateSubnets.map((s) => s.id),
        endpointPrivateAccess: true,
        // No allowed CIDRs means no public endpoint at all (reach the API through the VPC).
        endpointPublicAccess: publicCidrs.length > 0,
        publicAccessCidrs: publicCidrs.length > 0 ? publicCidrs : undefined,
      },
      enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
      encryptionConfig: { provider: { keyArn: key.arn }, resources: ["secrets"] },
      accessConfig: {
        // Access entries only: IAM principals are managed through the EKS API, not a ConfigMap.
        authenticationMode: "API",
        // The identity running `pulumi up` must install the platform charts right after creation.
        bootstrapClusterCreatorAdminPermissions: true,
      },
      // Standard support only: extended support costs 6x per cluster-hour.
      upgradePolicy: { supportType: "STANDARD" },
      deletionProtection: profile.deletionProtection,
      tags,
    },
    { ...opts, dependsOn: [clusterPolicy, clusterKeyUse, logGroup] },
  );

  const oidcIssuer = cluster.identities.apply((ids) => ids[0]!.oidcs![0]!.issuer!);
  const oidcProvider = new iam.OpenIdConnectProvider(
    `${base}-oidc`,
    { url: oidcIssuer, clientIdLists: ["sts.amazonaws.com"], tags },
    opts,
  );

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
        { ...opts, dependsOn: nodePolicies, ignoreChanges: ["scalingConfig.desiredSize"] },
      ),
  );

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

  const addAddons = (irsa: AwsIrsa): eks.Addon[] => {
    const addon = (addonName: string, extra: Partial<eks.AddonArgs> = {}) =>
      new eks.Addon(
        `${base}-${addonName}`,
        {
          clusterName: cluster.name,
          addonName,
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          tags,
          ...extra,
        },
        // coredns and the CSI controller are Deployments: they need nodes to become healthy.
        { ...opts, dependsOn: nodeGroups },
      );
    const ebsRole = irsa.role("ebs-csi", { namespace: "kube-system", name: "ebs-csi-controller-sa" });
    new iam.RolePolicyAttachment(
      `${base}-ebs-csi`,
      { role: ebsRole.name, policyArn: managedPolicy(region, "service-role/AmazonEBSCSIDriverPolicy") },
      opts,
    );
    return [
      // Network policy enforcement by the VPC CNI: the apps' NetworkPolicies are not decoration.
      addon("vpc-cni", { configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }) }),
      addon("coredns"),
      addon("kube-proxy"),
      addon("aws-ebs-csi-driver", { serviceAccountRoleArn: ebsRole.arn }),
    ];
  };

  return { cluster, oidcProvider, oidcIssuer, nodeGroups, addAddons };
}
