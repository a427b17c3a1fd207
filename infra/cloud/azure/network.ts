/**
 * VNet with a node subnet behind a NAT gateway (no public node IPs, predictable egress address),
 * a subnet delegated to Postgres Flexible Server, and service endpoints so Key Vault and Storage
 * admit the nodes while denying the internet.
 */
import * as network from "@pulumi/azure-native/network/index.js";
import { assertDisjoint, cidrSubnet } from "../cidr.ts";
import { type AzureContext, azureZones } from "./context.ts";

export function azureRanges(vpcCidr: string) {
  return {
    nodes: cidrSubnet(vpcCidr, 4, 0),
    postgres: cidrSubnet(vpcCidr, 8, 16),
  };
}

/**
 * Overlay pod and service ranges live outside the VNet (Azure CNI overlay): they only have to not
 * overlap it or anything peered to it.
 */
export const OVERLAY = {
  podCidr: "192.168.0.0/16",
  serviceCidr: "172.16.0.0/16",
  dnsServiceIP: "172.16.0.10",
};

export interface AzureNetwork {
  vnet: network.VirtualNetwork;
  nodes: network.Subnet;
  postgres: network.Subnet;
  nat: network.NatGateway;
  /** The one address the nodes egress from (the API server must admit it). */
  egressIp: network.PublicIPAddress;
}

export function azureNetwork(ctx: AzureContext): AzureNetwork {
  const { base, tags, opts, config, resourceGroup, location } = ctx;
  const ranges = azureRanges(config.vpcCidr);
  assertDisjoint({
    vpcCidr: config.vpcCidr,
    "the AKS overlay pod range": OVERLAY.podCidr,
    "the AKS service range": OVERLAY.serviceCidr,
  });
  const rg = resourceGroup.name;
  const vnet = new network.VirtualNetwork(
    `${base}-vnet`,
    {
      virtualNetworkName: `${base}-vnet`,
      resourceGroupName: rg,
      location,
      addressSpace: { addressPrefixes: [config.vpcCidr] },
      tags,
    },
    // Subnets are separate resources; inline subnets on the VNet would fight them on every update.
    { ...opts, ignoreChanges: ["subnets"] },
  );
  const egressIp = new network.PublicIPAddress(
    `${base}-nat`,
    {
      publicIpAddressName: `${base}-nat`,
      resourceGroupName: rg,
      location,
      sku: { name: "Standard", tier: "Regional" },
      publicIPAllocationMethod: "Static",
      zones: azureZones(ctx),
      tags,
    },
    opts,
  );
  const nat = new network.NatGateway(
    `${base}-nat`,
    {
      natGatewayName: `${base}-nat`,
      resourceGroupName: rg,
      location,
      sku: { name: "Standard" },
      publicIpAddresses: [{ id: egressIp.id }],
      idleTimeoutInMinutes: 10,
      tags,
    },
    opts,
  );
  const nodes = new network.Subnet(
    `${base}-nodes`,
    {
      subnetName: "nodes",
      resourceGroupName: rg,
      virtualNetworkName: vnet.name,
      addressPrefix: ranges.nodes,
      natGateway: { id: nat.id },
      // No implicit outbound IP: egress only through the NAT gateway.
      defaultOutboundAccess: false,
      serviceEndpoints: [{ service: "Microsoft.KeyVault" }, { service: "Microsoft.Storage" }],
    },
    opts,
  );
  const postgres = new network.Subnet(
    `${base}-postgres`,
    {
      subnetName: "postgres",
      resourceGroupName: rg,
      virtualNetworkName: vnet.name,
      addressPrefix: ranges.postgres,
      defaultOutboundAccess: false,
      delegations: [{ name: "postgres", serviceName: "Microsoft.DBforPostgreSQL/flexibleServers" }],
    },
    // Azure serialises subnet changes on one VNet.
    { ...opts, dependsOn: [nodes] },
  );
  return { vnet, nodes, postgres, nat, egressIp };
}
