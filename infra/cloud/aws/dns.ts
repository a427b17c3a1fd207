/**
 * The stack's public Route53 zone, and the two writers of it: external-dns (records for routes) and
 * cert-manager (ACME DNS-01 TXT records). Both are confined to this zone.
 */
import * as route53 from "@pulumi/aws/route53/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { type AwsIrsa, irsaIdentity } from "./identity.ts";
import { partition } from "./partition.ts";

export interface AwsDns {
  zone: route53.Zone;
  externalDns: WorkloadIdentity;
  certManager: WorkloadIdentity;
  dns01Solver: pulumi.Output<Record<string, unknown>>;
  externalDnsValues: pulumi.Output<Record<string, unknown>>;
}

export function awsDns(ctx: CloudContext, irsa: AwsIrsa, clusterName: pulumi.Output<string>): AwsDns {
  const { base, config, tags, opts, profile } = ctx;
  const zone = new route53.Zone(
    `${base}-zone`,
    {
      name: config.domain,
      comment: `${base}: public endpoints of the LLM-operations platform`,
      // Review/dev stacks are torn down often; prod must never lose records with the stack.
      forceDestroy: !profile.deletionProtection,
      tags,
    },
    opts,
  );
  const zoneArn = pulumi.interpolate`arn:${partition(config.region)}:route53:::hostedzone/${zone.zoneId}`;

  const externalDns = irsaIdentity(ctx, irsa, "external-dns", SERVICE_ACCOUNTS.externalDns, [
    {
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
      Resource: [zoneArn],
    },
    {
      Effect: "Allow",
      Action: ["route53:ListHostedZones", "route53:ListTagsForResource", "route53:ListTagsForResources"],
      Resource: ["*"],
    },
  ]);
  const certManager = irsaIdentity(ctx, irsa, "cert-manager", SERVICE_ACCOUNTS.certManager, [
    {
      Effect: "Allow",
      Action: ["route53:GetChange"],
      Resource: [`arn:${partition(config.region)}:route53:::change/*`],
    },
    {
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
      Resource: [zoneArn],
      // Only ACME challenge TXT records: cert-manager cannot rewrite the zone's A/CNAME records.
      Condition: {
        "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] },
      },
    },
    { Effect: "Allow", Action: ["route53:ListHostedZonesByName"], Resource: ["*"] },
  ]);

  return {
    zone,
    externalDns,
    certManager,
    // Ambient IRSA credentials: no access keys in the issuer.
    dns01Solver: asValues({ route53: { region: config.region, hostedZoneID: zone.zoneId } }),
    externalDnsValues: asValues(
      pulumi.all([zone.zoneId, clusterName]).apply(([zoneId, cluster]) => ({
        provider: { name: "aws" },
        env: [{ name: "AWS_DEFAULT_REGION", value: config.region }],
        domainFilters: [config.domain],
        txtOwnerId: cluster,
        extraArgs: [`--zone-id-filter=${zoneId}`, "--aws-zone-type=public"],
      })),
    ),
  };
}
