/**
 * Entra Workload Identity: one user-assigned managed identity per in-cluster consumer, federated
 * with the cluster's OIDC issuer for its exact ServiceAccount. Roles are granted by the module that
 * owns the resource (zone, vault, storage account).
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import type { ServiceAccountRef } from "../../names.ts";
import type { WorkloadIdentity } from "../types.ts";
import type { AzureContext } from "./context.ts";

export const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";
/** The webhook injects the federated token only into pods carrying this label. */
export const USE_LABEL = { "azure.workload.identity/use": "true" };
const TOKEN_AUDIENCE = "api://AzureADTokenExchange";

export interface AzureWorkloadIdentity {
  managedIdentity: managedidentity.UserAssignedIdentity;
  identity: WorkloadIdentity;
}

export function azureWorkloadIdentity(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  id: string,
  serviceAccount: ServiceAccountRef,
): AzureWorkloadIdentity {
  const managedIdentity = new managedidentity.UserAssignedIdentity(
    `${ctx.base}-${id}`,
    {
      resourceName: `${ctx.base}-${id}`,
      resourceGroupName: ctx.resourceGroup.name,
      location: ctx.location,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new managedidentity.FederatedIdentityCredential(
    `${ctx.base}-${id}`,
    {
      federatedIdentityCredentialResourceName: `${serviceAccount.namespace}-${serviceAccount.name}`,
      resourceName: managedIdentity.name,
      resourceGroupName: ctx.resourceGroup.name,
      issuer: cluster.oidcIssuerProfile.apply((p) => p!.issuerURL!),
      subject: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`,
      audiences: [TOKEN_AUDIENCE],
    },
    ctx.opts,
  );
  return {
    managedIdentity,
    identity: {
      serviceAccount,
      serviceAccountAnnotations: { [CLIENT_ID_ANNOTATION]: managedIdentity.clientId },
      podLabels: USE_LABEL,
    },
  };
}
