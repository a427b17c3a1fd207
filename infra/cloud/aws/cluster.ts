/**
 * The EKS control plane: private subnets, every control-plane log type, envelope-encrypted Secrets,
 * API endpoint restricted to apiAllowedCidrs (or private only), and the OIDC provider for IRSA.
 * Nodes, access entries and addons live in nodes.ts, access.ts and addons.ts.
 */
import * as cloudwatch from "@pulumi/aws/cloudwatch/index.js";
import * as eks from "@pulumi/aws/eks/index.js";
import * as iam from "@pulumi/aws/iam/index.js";
import type * as kms from "@pulumi/aws/kms/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { logRetentionDays } from "./flowlogs.ts";
import type { AwsNetwork } from "./network.ts";
import { managedPolicy, serviceTrust } from "./partition.ts";

/** All five control-plane log streams: audit and authenticator are what incident response needs. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface AwsCluster {
  cluster: eks.Cluster;
  oidcProvider: iam.OpenIdConnectProvider;
  /** Issuer host without https://, the prefix of IRSA trust-policy condition keys. */
  oidcIssuer: pulumi.Output<string>;
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

  return { cluster, oidcProvider, oidcIssuer };
}
