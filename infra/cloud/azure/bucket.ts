/**
 * A private Azure storage account a workload identity may use, the one shape Loki's, Tempo's and
 * Velero's storage share: zone-redundant, Entra only (no shared keys), no public blobs, TLS 1.2 and
 * HTTPS only, the node subnet as the only network path; blob versioning and soft delete where the
 * consumer's data wants them; its containers; and the consumer's managed identity (workload
 * identity) as Storage Blob Data Contributor of this account alone.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { ServiceAccountRef } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import type { AzureContext } from "./context.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import type { AzureNetwork } from "./network.ts";
import { assignRole } from "./rbac.ts";

/** Storage account names: 3-24 lowercase alphanumerics, global. */
const ACCOUNT_NAME_MAX = 24;

export interface AzurePrivateStorageArgs {
  /** The consumer: its managed identity is `<base>-<id>`, federated with exactly this ServiceAccount. */
  id: string;
  serviceAccount: ServiceAccountRef;
  /** The account's resource name after the base, and the tag its global name carries before the suffix. */
  account: { name: string; tag: string; accessTier: "Hot" | "Cool" };
  /** Blob containers: the resource name after the base, and the container's own name. */
  containers: readonly { resource: string; container: string }[];
  /** Blob versioning, with deleted blobs and containers kept this many days. Omitted: neither. */
  versioning?: { softDeleteDays: number };
}

export function azurePrivateStorage(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  net: AzureNetwork,
  /** Account names are global: the suffix keeps them unique. */
  suffix: pulumi.Output<string>,
  args: AzurePrivateStorageArgs,
): { identity: WorkloadIdentity; account: storage.StorageAccount } {
  const { base, tags, opts, resourceGroup, location } = ctx;
  const { tag } = args.account;
  const compact = base.replace(/[^a-z0-9]/g, "");
  const account = new storage.StorageAccount(
    `${base}-${args.account.name}`,
    {
      accountName: suffix.apply(
        (s) => `${compact.slice(0, ACCOUNT_NAME_MAX - tag.length - s.length)}${tag}${s}`,
      ),
      resourceGroupName: resourceGroup.name,
      location,
      kind: "StorageV2",
      sku: { name: "Standard_ZRS" },
      accessTier: args.account.accessTier,
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
  if (args.versioning) {
    const days = args.versioning.softDeleteDays;
    new storage.BlobServiceProperties(
      `${base}-${args.account.name}`,
      {
        accountName: account.name,
        resourceGroupName: resourceGroup.name,
        blobServicesName: "default",
        isVersioningEnabled: true,
        deleteRetentionPolicy: { enabled: true, days },
        containerDeleteRetentionPolicy: { enabled: true, days },
      },
      opts,
    );
  }
  for (const c of args.containers) {
    new storage.BlobContainer(
      `${base}-${c.resource}`,
      {
        containerName: c.container,
        accountName: account.name,
        resourceGroupName: resourceGroup.name,
        publicAccess: "None",
      },
      opts,
    );
  }
  const consumer = azureWorkloadIdentity(ctx, cluster, args.id, args.serviceAccount);
  assignRole(ctx, `${args.id}-storage`, {
    role: "storageBlobDataContributor",
    principalId: consumer.managedIdentity.principalId,
    principalType: "ServicePrincipal",
    scope: account.id,
  });
  return { identity: consumer.identity, account };
}
