/**
 * Loki object storage (prod): a private storage account (Entra only, the node subnet as the only
 * network path) with containers for chunks and ruler, written by Loki as Storage Blob Data
 * Contributor through workload identity. Dev: filesystem.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { azurePrivateStorage } from "./bucket.ts";
import type { AzureContext } from "./context.ts";
import type { AzureNetwork } from "./network.ts";

export const LOKI_CONTAINERS = ["chunks", "ruler"] as const;

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
  if (!ctx.profile.objectLogStorage) {
    return { loki: unboundIdentity(SERVICE_ACCOUNTS.loki) };
  }
  const { identity, account } = azurePrivateStorage(ctx, cluster, net, suffix, {
    id: "loki",
    serviceAccount: SERVICE_ACCOUNTS.loki,
    account: { name: "logs", tag: "logs", accessTier: "Hot" },
    containers: LOKI_CONTAINERS.map((container) => ({ resource: `loki-${container}`, container })),
  });
  return {
    loki: identity,
    values: asValues(
      account.name.apply((accountName) => ({
        type: "azure",
        bucketNames: { chunks: "chunks", ruler: "ruler" },
        azure: { accountName, useFederatedToken: true },
      })),
    ),
  };
}
