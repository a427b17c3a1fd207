/**
 * AKS: Entra ID with Azure RBAC and no local accounts, OIDC issuer + workload identity, Azure CNI
 * overlay with Cilium network policy, autoscaling pools across zones (prod), egress through the
 * NAT gateway, and an API server restricted to apiAllowedCidrs (or private when none are allowed).
 */
import * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import type * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { NodePool } from "../../config.ts";
import { machineType } from "../sizes.ts";
import { POOL_ROLE_LABEL } from "../types.ts";
import { type AzureContext, azureZones } from "./context.ts";
import type { AzureNetwork } from "./network.ts";
import { OVERLAY } from "./network.ts";
import { assignRole } from "./rbac.ts";

export interface AzureCluster {
  cluster: containerservice.ManagedCluster;
  pools: containerservice.AgentPool[];
  /** The deployer's cluster-admin grant: every Kubernetes write needs it. */
  deployerAdmin: authorization.RoleAssignment;
}

/**
 * AKS needs one System-mode pool inside the cluster resource: the first `system` pool, else the
 * first pool. AKS rejects Spot system pools, so that pool runs on regular VMs even if marked spot.
 */
export function systemPool(pools: NodePool[]): NodePool {
  return pools.find((p) => p.role === "system") ?? pools[0]!;
}

/** Linux agent pool names: lowercase alphanumerics, at most 12 characters. */
export function poolName(pool: NodePool): string {
  return pool.name.replace(/[^a-z0-9]/g, "").slice(0, 12);
}

export function azureCluster(ctx: AzureContext, net: AzureNetwork): AzureCluster {
  const { base, tags, opts, config, profile, resourceGroup, location } = ctx;
  const rg = resourceGroup.name;
  const zones = azureZones(ctx);

  // A user-assigned control-plane identity can be granted the subnet before the cluster exists.
  const controlPlane = new managedidentity.UserAssignedIdentity(
    `${base}-aks`,
    { resourceName: `${base}-aks`, resourceGroupName: rg, location, tags },
    opts,
  );
  const subnetGrant = assignRole(ctx, "aks-subnet", {
    role: "networkContributor",
    principalId: controlPlane.principalId,
    principalType: "ServicePrincipal",
    scope: net.nodes.id,
  });

  const poolShape = (pool: NodePool, system: boolean) => ({
    vmSize: machineType("azure", pool.size),
    mode: system ? "System" : "User",
    osType: "Linux",
    osSKU: "AzureLinux",
    type: "VirtualMachineScaleSets",
    enableAutoScaling: true,
    count: pool.minNodes,
    minCount: pool.minNodes,
    maxCount: pool.maxNodes,
    availabilityZones: zones,
    vnetSubnetID: net.nodes.id,
    enableNodePublicIP: false,
    maxPods: 110,
    osDiskSizeGB: 128,
    nodeLabels: { [POOL_ROLE_LABEL]: pool.role },
    upgradeSettings: { maxSurge: "33%" },
    ...(pool.spot && !system
      ? { scaleSetPriority: "Spot", scaleSetEvictionPolicy: "Delete", spotMaxPrice: -1 }
      : { scaleSetPriority: "Regular" }),
    tags,
  });

  const first = systemPool(config.nodePools);
  const allowed = config.apiAllowedCidrs;
  const cluster = new containerservice.ManagedCluster(
    base,
    {
      resourceName: base,
      resourceGroupName: rg,
      location,
      dnsPrefix: base,
      kubernetesVersion: config.kubernetesVersion,
      nodeResourceGroup: `${base}-aks-nodes`,
      identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
      sku: { name: "Base", tier: profile.highAvailability ? "Standard" : "Free" },
      enableRBAC: true,
      disableLocalAccounts: true,
      aadProfile: {
        managed: true,
        enableAzureRBAC: true,
        tenantID: ctx.tenantId,
        adminGroupObjectIDs: config.azure.adminGroupObjectIds,
      },
      oidcIssuerProfile: { enabled: true },
      securityProfile: {
        workloadIdentity: { enabled: true },
        imageCleaner: { enabled: true, intervalHours: 48 },
      },
      networkProfile: {
        networkPlugin: "azure",
        networkPluginMode: "overlay",
        networkDataplane: "cilium",
        networkPolicy: "cilium",
        podCidr: OVERLAY.podCidr,
        serviceCidr: OVERLAY.serviceCidr,
        dnsServiceIP: OVERLAY.dnsServiceIP,
        loadBalancerSku: "standard",
        outboundType: "userAssignedNATGateway",
      },
      apiServerAccessProfile:
        allowed.length > 0
          ? { authorizedIPRanges: authorizedRanges(allowed, net) }
          : { enablePrivateCluster: true, privateDNSZone: "system", enablePrivateClusterPublicFQDN: false },
      autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" },
      storageProfile: { diskCSIDriver: { enabled: true }, snapshotController: { enabled: true } },
      agentPoolProfiles: [{ name: poolName(first), ...poolShape(first, true) }],
      tags,
    },
    // Pools are their own resources after creation; the inline one only seeds the cluster.
    { ...opts, dependsOn: [subnetGrant], ignoreChanges: ["agentPoolProfiles"] },
  );

  const pools = config.nodePools
    .filter((p) => p !== first)
    .map(
      (pool) =>
        new containerservice.AgentPool(
          `${base}-${pool.name}`,
          {
            agentPoolName: poolName(pool),
            resourceName: cluster.name,
            resourceGroupName: rg,
            ...poolShape(pool, false),
          },
          // The cluster autoscaler owns the node count after creation.
          { ...opts, ignoreChanges: ["count"] },
        ),
    );

  // The identity running Pulumi installs the platform charts: cluster admin through Azure RBAC.
  const deployerAdmin = assignRole(ctx, "deployer-cluster-admin", {
    role: "aksRbacClusterAdmin",
    principalId: ctx.deployer.objectId,
    principalType: ctx.deployer.principalType,
    scope: cluster.id,
  });
  return { cluster, pools, deployerAdmin };
}

/**
 * With a public API server, the nodes reach it from the NAT gateway's address, which AKS does not
 * add on its own for a user-assigned NAT gateway: without it kubelets cannot register.
 * https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges
 */
function authorizedRanges(allowed: string[], net: AzureNetwork): pulumi.Output<string[]> {
  return pulumi.output(net.egressIp.ipAddress).apply((ip) => {
    if (!ip) throw new Error("the NAT gateway's public IP has no address");
    return [...allowed, `${ip}/32`];
  });
}
