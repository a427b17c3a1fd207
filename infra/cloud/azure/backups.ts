/**
 * Velero's backup store: a private, cool-tier storage account (Entra only, the node subnet as the only
 * network path, blob versioning and soft delete) with one container, written by Velero's managed
 * identity through workload identity.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { BUCKET_GRACE_DAYS, backupsEnabled, NO_BACKUP_IDENTITY } from "../backups.ts";
import type { BackupStorage, WorkloadIdentity } from "../types.ts";
import { asValues } from "../values.ts";
import { azurePrivateStorage } from "./bucket.ts";
import type { AzureContext } from "./context.ts";
import type { AzureNetwork } from "./network.ts";

export const VELERO_CONTAINER = "velero";

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
  const { resourceGroup, config } = ctx;
  if (!backupsEnabled(config)) return { velero: NO_BACKUP_IDENTITY };
  const { identity, account } = azurePrivateStorage(ctx, cluster, net, suffix, {
    id: "velero",
    serviceAccount: SERVICE_ACCOUNTS.velero,
    account: { name: "backups", tag: "bak", accessTier: "Cool" },
    containers: [{ resource: "velero", container: VELERO_CONTAINER }],
    versioning: { softDeleteDays: BUCKET_GRACE_DAYS },
  });
  return {
    velero: identity,
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
