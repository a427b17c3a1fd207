/**
 * The stack's public Azure DNS zone and its two writers: external-dns and cert-manager get DNS Zone
 * Contributor on this zone only, through workload identity. external-dns also reads the resource
 * group: its Azure provider lists the group's zones before it touches a record.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as dns from "@pulumi/azure-native/dns/index.js";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import type { AzureContext } from "./context.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import { assignRole } from "./rbac.ts";

export interface AzureDns {
  zone: dns.Zone;
  externalDns: WorkloadIdentity;
  certManager: WorkloadIdentity;
  dns01Solver: pulumi.Output<Values>;
  externalDnsValues: pulumi.Output<Values>;
}

export function azureDns(ctx: AzureContext, cluster: containerservice.ManagedCluster): AzureDns {
  const { base, config, tags, opts, resourceGroup } = ctx;
  const zone = new dns.Zone(
    `${base}-zone`,
    {
      zoneName: config.domain,
      resourceGroupName: resourceGroup.name,
      location: "global",
      zoneType: "Public",
      tags,
    },
    // Prod keeps its zone (and the delegation pointing at its name servers) if the stack is destroyed.
    { ...opts, protect: ctx.profile.deletionProtection },
  );
  const writer = (id: string, sa: (typeof SERVICE_ACCOUNTS)[keyof typeof SERVICE_ACCOUNTS]) => {
    const wi = azureWorkloadIdentity(ctx, cluster, id, sa);
    assignRole(ctx, `${id}-zone`, {
      role: "dnsZoneContributor",
      principalId: wi.managedIdentity.principalId,
      principalType: "ServicePrincipal",
      scope: zone.id,
    });
    return wi;
  };
  const externalDns = writer("external-dns", SERVICE_ACCOUNTS.externalDns);
  // https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure (Reader on the group).
  assignRole(ctx, "external-dns-rg", {
    role: "reader",
    principalId: externalDns.managedIdentity.principalId,
    principalType: "ServicePrincipal",
    scope: resourceGroup.id,
  });
  const certManager = writer("cert-manager", SERVICE_ACCOUNTS.certManager);

  return {
    zone,
    externalDns: externalDns.identity,
    certManager: certManager.identity,
    dns01Solver: asValues({
      azureDNS: {
        subscriptionID: ctx.subscriptionId,
        resourceGroupName: resourceGroup.name,
        hostedZoneName: config.domain,
        environment: "AzurePublicCloud",
        managedIdentity: { clientID: certManager.managedIdentity.clientId },
      },
    }),
    // external-dns's Azure provider reads azure.json; with workload identity it holds ids, no secret.
    externalDnsValues: asValues(
      pulumi
        .all([ctx.tenantId, ctx.subscriptionId, resourceGroup.name])
        .apply(([tenantId, subscriptionId, resourceGroupName]) => ({
          provider: { name: "azure" },
          domainFilters: [config.domain],
          extraArgs: [`--azure-resource-group=${resourceGroupName}`],
          secretConfiguration: {
            enabled: true,
            mountPath: "/etc/kubernetes/",
            data: {
              "azure.json": JSON.stringify({
                tenantId,
                subscriptionId,
                resourceGroup: resourceGroupName,
                useWorkloadIdentityExtension: true,
              }),
            },
          },
        })),
    ),
  };
}
