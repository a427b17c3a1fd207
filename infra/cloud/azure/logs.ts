/**
 * Loki object storage (prod): a zone-redundant storage account with shared keys disabled (Entra only),
 * no public blob access and the node subnet as the only network path; containers for chunks and
 * ruler; Loki writes as Storage Blob Data Contributor through workload identity. Dev: filesystem.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import type { AzureContext } from "./context.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import type { AzureNetwork } from "./network.ts";
import { assignRole } from "./rbac.ts";

export const LOKI_CONTAINERS = ["chunks", "ruler"] as const;
/** Storage account names: 3-24 lowercase alphanumerics, global. */
const ACCOUNT_NAME_MAX = 24;

export interface AzureLogStorage {
  loki: WorkloadIdentity;
  values?: pulumi.Output<Values>;
}

export function azureLogStorage(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  net: AzureNetwork,
  suffix: pulumi.Output<string>,
): AzureLogStorage {
  const { base, tags, opts, profile, resourceGroup, location } = ctx;
  if (!profile.objectLogStorage) {
    return { loki: { serviceAccount: SERVICE_ACCOUNTS.loki, serviceAccountAnnotations: {}, podLabels: {} } };
  }
  const compact = base.replace(/[^a-z0-9]/g, "");
  const account = new storage.StorageAccount(
    `${base}-logs`,
    {
      accountName: suffix.apply((s) => `${compact.slice(0, ACCOUNT_NAME_MAX - 4 - s.length)}logs${s}`),
      resourceGroupName: resourceGroup.name,
      location,
      kind: "StorageV2",
      sku: { name: "Standard_ZRS" },
      accessTier: "Hot",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      networkRuleSet: {
        defaultAction: "Deny",
        bypass: "AzureServices",
        virtualNetworkRules: [{ virtualNetworkResourceId: net.nodes.id, action: "Allow" }],
      },
      tags,
    },
    opts,
  );
  for (const name of LOKI_CONTAINERS) {
    new storage.BlobContainer(
      `${base}-loki-${name}`,
      {
        containerName: name,
        accountName: account.name,
        resourceGroupName: resourceGroup.name,
        publicAccess: "None",
      },
      opts,
    );
  }
  const loki = azureWorkloadIdentity(ctx, cluster, "loki", SERVICE_ACCOUNTS.loki);
  assignRole(ctx, "loki-storage", {
    role: "storageBlobDataContributor",
    principalId: loki.managedIdentity.principalId,
    principalType: "ServicePrincipal",
    scope: account.id,
  });
  return {
    loki: loki.identity,
    values: asValues(
      account.name.apply((accountName) => ({
        type: "azure",
        bucketNames: { chunks: "chunks", ruler: "ruler" },
        azure: { accountName, useFederatedToken: true },
      })),
    ),
  };
}
