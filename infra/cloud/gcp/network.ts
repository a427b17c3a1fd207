/**
 * VPC-native network: one regional subnet for nodes with secondary ranges for pods and services,
 * Cloud NAT for egress (nodes have no external IPs), and a private services range that Cloud SQL
 * peers into so Postgres gets a private address only.
 */
import * as compute from "@pulumi/gcp/compute/index.js";
import * as servicenetworking from "@pulumi/gcp/servicenetworking/index.js";
import { cidrSubnet } from "../cidr.ts";
import type { CloudContext } from "../context.ts";

/** Address plan inside vpcCidr (a /16 by default): see the cloud-gcp tests for the resulting ranges. */
export function gcpRanges(vpcCidr: string) {
  return {
    nodes: cidrSubnet(vpcCidr, 4, 0),
    services: cidrSubnet(vpcCidr, 4, 1),
    /** The control plane's peered /28 (private cluster). */
    master: cidrSubnet(vpcCidr, 12, 512),
    /** Private services access (Cloud SQL). */
    privateServices: cidrSubnet(vpcCidr, 4, 3),
    /** Pods get the upper half: a /17 is 32k pod IPs, ~250 nodes at 110 pods per node. */
    pods: cidrSubnet(vpcCidr, 1, 1),
  };
}

export const PODS_RANGE = "pods";
export const SERVICES_RANGE = "services";

export interface GcpNetwork {
  network: compute.Network;
  subnet: compute.Subnetwork;
  /** Cloud SQL may only be created once the peering exists. */
  privateServices: servicenetworking.Connection;
  ranges: ReturnType<typeof gcpRanges>;
}

export function gcpNetwork(ctx: CloudContext): GcpNetwork {
  const { base, tags, opts, config } = ctx;
  const ranges = gcpRanges(config.vpcCidr);
  const network = new compute.Network(
    `${base}-vpc`,
    { name: base, autoCreateSubnetworks: false, routingMode: "REGIONAL" },
    opts,
  );
  const subnet = new compute.Subnetwork(
    `${base}-nodes`,
    {
      name: `${base}-nodes`,
      network: network.id,
      region: config.region,
      ipCidrRange: ranges.nodes,
      secondaryIpRanges: [
        { rangeName: PODS_RANGE, ipCidrRange: ranges.pods },
        { rangeName: SERVICES_RANGE, ipCidrRange: ranges.services },
      ],
      // Nodes reach Google APIs (registries, Secret Manager) without public IPs.
      privateIpGoogleAccess: true,
      logConfig: {
        aggregationInterval: "INTERVAL_5_MIN",
        flowSampling: 0.5,
        metadata: "INCLUDE_ALL_METADATA",
      },
    },
    opts,
  );
  const router = new compute.Router(
    `${base}-router`,
    { name: base, network: network.id, region: config.region },
    opts,
  );
  new compute.RouterNat(
    `${base}-nat`,
    {
      name: base,
      router: router.name,
      region: config.region,
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    },
    opts,
  );
  const [address, prefix] = ranges.privateServices.split("/");
  const servicesRange = new compute.GlobalAddress(
    `${base}-private-services`,
    {
      name: `${base}-private-services`,
      network: network.id,
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address,
      prefixLength: Number(prefix),
      labels: tags,
    },
    opts,
  );
  const privateServices = new servicenetworking.Connection(
    `${base}-private-services`,
    {
      network: network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [servicesRange.name],
    },
    opts,
  );
  return { network, subnet, privateServices, ranges };
}
