/**
 * Tempo's object storage (platform.tracing.objectStorage, prod by default): a private storage account
 * (Entra only, the node subnet as the only network path) with one container, written by Tempo as
 * Storage Blob Data Contributor through workload identity (Tempo's use_federated_token).
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { objectTraceStorage, unboundIdentity } from "../storage.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import { azurePrivateStorage } from "./bucket.ts";
import type { AzureContext } from "./context.ts";
import type { AzureNetwork } from "./network.ts";

export const TEMPO_CONTAINER = "traces";

export interface AzureTraceStorage {
  tempo: WorkloadIdentity;
  values?: pulumi.Output<Values>;
}

export function azureTraceStorage(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  net: AzureNetwork,
  suffix: pulumi.Output<string>,
): AzureTraceStorage {
  if (!objectTraceStorage(ctx.config)) return { tempo: unboundIdentity(SERVICE_ACCOUNTS.tempo) };
  const { identity, account } = azurePrivateStorage(ctx, cluster, net, suffix, {
    id: "tempo",
    serviceAccount: SERVICE_ACCOUNTS.tempo,
    account: { name: "traces", tag: "trc", accessTier: "Hot" },
    containers: [{ resource: "tempo-traces", container: TEMPO_CONTAINER }],
  });
  return {
    tempo: identity,
    values: asValues(
      account.name.apply((storageAccount) => ({
        backend: "azure",
        azure: {
          container_name: TEMPO_CONTAINER,
          storage_account_name: storageAccount,
          use_federated_token: true,
        },
      })),
    ),
  };
}
