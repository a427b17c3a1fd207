/**
 * Velero's backup store: a zone-redundant storage account (Entra only, no shared keys, no public
 * blobs, the node subnet as the only network path, blob versioning and soft delete) with one
 * container, written by Velero's managed identity through workload identity.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import type { AzureContext } from "./context.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import type { AzureNetwork } from "./network.ts";
import { assignRole } from "./rbac.ts";

export const VELERO_CONTAINER = "velero";
/** Storage account names: 3-24 lowercase alphanumerics, global. */
const ACCOUNT_NAME_MAX = 24;

export interface AzureBackupStorage {
  velero: WorkloadIdentity;
  storage?: BackupStorage;
}

export function azureBackupStorage(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  net: AzureNetwork,
  suffix: pulumi.Output<string>,
): AzureBackupStorage {
  const { base, tags, opts, resourceGroup, location, config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const compact = base.replace(/[^a-z0-9]/g, "");
  const account = new storage.StorageAccount(
    `${base}-backups`,
    {
      accountName: suffix.apply((s) => `${compact.slice(0, ACCOUNT_NAME_MAX - 3 - s.length)}bak${s}`),
      resourceGroupName: resourceGroup.name,
      location,
      kind: "StorageV2",
      sku: { name: "Standard_ZRS" },
      accessTier: "Cool",
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
  new storage.BlobServiceProperties(
    `${base}-backups`,
    {
      accountName: account.name,
      resourceGroupName: resourceGroup.name,
      blobServicesName: "default",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: BUCKET_GRACE_DAYS },
      containerDeleteRetentionPolicy: { enabled: true, days: BUCKET_GRACE_DAYS },
    },
    opts,
  );
  new storage.BlobContainer(
    `${base}-velero`,
    {
      containerName: VELERO_CONTAINER,
      accountName: account.name,
      resourceGroupName: resourceGroup.name,
      publicAccess: "None",
    },
    opts,
  );
  const velero = azureWorkloadIdentity(ctx, cluster, "velero", SERVICE_ACCOUNTS.velero);
  assignRole(ctx, "velero-storage", {
    role: "storageBlobDataContributor",
    principalId: velero.managedIdentity.principalId,
    principalType: "ServicePrincipal",
    scope: account.id,
  });
  return {
    velero: velero.identity,
    storage: {
      provider: "azure",
      bucket: pulumi.output(VELERO_CONTAINER),
      config: asValues(
        pulumi
          .all([account.name, resourceGroup.name, ctx.subscriptionId])
          .apply(([storageAccount, rg, subscriptionId]) => ({
            resourceGroup: rg,
            storageAccount,
            subscriptionId,
            // Entra ID (the workload identity), never the account key.
            useAAD: "true",
          })),
      ),
    },
  };
}
