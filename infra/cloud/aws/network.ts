/**
 * VPC across the profile's zones: private subnets for nodes, Postgres and internal load balancers,
 * small public subnets only for NAT gateways and internet-facing load balancers (never nodes).
 */

import * as ec2 from "@pulumi/aws/ec2/index.js";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones.js";
import type * as pulumi from "@pulumi/pulumi";
import { cidrSubnet } from "../cidr.ts";
import type { CloudContext } from "../context.ts";
import { awsTags } from "../naming.ts";

export interface AwsNetwork {
  vpc: ec2.Vpc;
  privateSubnets: ec2.Subnet[];
  /** CIDRs of the private subnets: what Postgres admits (the nodes and pods live there). */
  privateCidrs: string[];
  zones: pulumi.Output<string>[];
}

/** Private /19s from the start of the VPC block, public /24s from its last /19 (see cidr plan in tests). */
const PRIVATE_NEW_BITS = 3;
const PUBLIC_NEW_BITS = 8;
const PUBLIC_FIRST = 224;

/** The subnets' ranges inside vpcCidr for `zoneCount` zones (the checks and the network share it). */
export function awsRanges(vpcCidr: string, zoneCount: number): Record<string, string> {
  const ranges: Record<string, string> = {};
  for (let i = 0; i < zoneCount; i++) {
    ranges[`private subnet ${i + 1}`] = cidrSubnet(vpcCidr, PRIVATE_NEW_BITS, i);
    ranges[`public subnet ${i + 1}`] = cidrSubnet(vpcCidr, PUBLIC_NEW_BITS, PUBLIC_FIRST + i);
  }
  return ranges;
}

export function awsNetwork(ctx: CloudContext): AwsNetwork {
  const { base, tags, opts, config, profile } = ctx;
  // Cluster tag lets the AWS Load Balancer Controller and in-tree LB code discover the subnets.
  const clusterTag = { [`kubernetes.io/cluster/${base}`]: "shared" };
  // Regular AZs only: Local and Wavelength Zones (opt-in) support neither EKS nor NAT gateways.
  const available = getAvailabilityZonesOutput(
    { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
    opts,
  );
  const zones = Array.from({ length: profile.zoneCount }, (_, i) => available.names.apply((n) => n[i]!));

  const vpc = new ec2.Vpc(
    `${base}-vpc`,
    {
      cidrBlock: config.vpcCidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: awsTags(tags, base),
    },
    opts,
  );
  const igw = new ec2.InternetGateway(`${base}-igw`, { vpcId: vpc.id, tags: awsTags(tags, base) }, opts);
  const publicRoutes = new ec2.RouteTable(
    `${base}-public`,
    {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: awsTags(tags, `${base}-public`),
    },
    opts,
  );

  const publicSubnets = zones.map((zone, i) => {
    const subnet = new ec2.Subnet(
      `${base}-public-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: cidrSubnet(config.vpcCidr, PUBLIC_NEW_BITS, PUBLIC_FIRST + i),
        // Instances launched here get no public address: only the NAT's Elastic IP is public.
        mapPublicIpOnLaunch: false,
        tags: awsTags(tags, `${base}-public-${i}`, { ...clusterTag, "kubernetes.io/role/elb": "1" }),
      },
      opts,
    );
    new ec2.RouteTableAssociation(
      `${base}-public-${i}`,
      { subnetId: subnet.id, routeTableId: publicRoutes.id },
      opts,
    );
    return subnet;
  });

  const natCount = profile.natPerZone ? zones.length : 1;
  const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
    const eip = new ec2.Eip(
      `${base}-nat-${i}`,
      { domain: "vpc", tags: awsTags(tags, `${base}-nat-${i}`) },
      opts,
    );
    return new ec2.NatGateway(
      `${base}-nat-${i}`,
      { allocationId: eip.id, subnetId: subnet.id, tags: awsTags(tags, `${base}-nat-${i}`) },
      { ...opts, dependsOn: [igw] },
    );
  });

  const privateCidrs = zones.map((_, i) => cidrSubnet(config.vpcCidr, PRIVATE_NEW_BITS, i));
  const privateSubnets = zones.map((zone, i) => {
    const subnet = new ec2.Subnet(
      `${base}-private-${i}`,
      {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: privateCidrs[i]!,
        mapPublicIpOnLaunch: false,
        tags: awsTags(tags, `${base}-private-${i}`, {
          ...clusterTag,
          "kubernetes.io/role/internal-elb": "1",
        }),
      },
      opts,
    );
    const routes = new ec2.RouteTable(
      `${base}-private-${i}`,
      {
        vpcId: vpc.id,
        // Each zone egresses through its own NAT when there is one per zone.
        routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[i % natCount]!.id }],
        tags: awsTags(tags, `${base}-private-${i}`),
      },
      opts,
    );
    new ec2.RouteTableAssociation(
      `${base}-private-${i}`,
      { subnetId: subnet.id, routeTableId: routes.id },
      opts,
    );
    return subnet;
  });

  return { vpc, privateSubnets, privateCidrs, zones };
}
