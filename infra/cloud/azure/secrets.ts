/**
 * Key Vault with RBAC authorization, soft delete and purge protection, reachable from the node
 * subnet only; the catalogue's entries as vault secrets; external-secrets reads them as
 * Key Vault Secrets User through workload identity.
 */
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { SecretEntry } from "../secrets.ts";
import { SERVICE_ACCOUNTS } from "../../names.ts";
import { azureVaultName } from "../naming.ts";
import type { WorkloadIdentity } from "../types.ts";
import { asValues, type Values } from "../values.ts";
import type { AzureContext } from "./context.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import type { AzureNetwork } from "./network.ts";
import { assignRole } from "./rbac.ts";

export interface AzureSecretStore {
  vault: keyvault.Vault;
  externalSecrets: WorkloadIdentity;
  provider: pulumi.Output<Values>;
}

export function azureSecretStore(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  net: AzureNetwork,
  suffix: pulumi.Output<string>,
  entries: SecretEntry[],
): AzureSecretStore {
  const { base, tags, opts, config, profile, resourceGroup, location } = ctx;
  const vault = new keyvault.Vault(
    `${base}-vault`,
    {
      // Purge protection keeps a deleted vault's name for the retention period: the suffix frees it.
      vaultName: suffix.apply((s) => azureVaultName(base, s)),
      resourceGroupName: resourceGroup.name,
      location,
      properties: {
        tenantId: ctx.tenantId,
        sku: { family: "A", name: profile.highAvailability ? "premium" : "standard" },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        enablePurgeProtection: true,
        softDeleteRetentionInDays: profile.highAvailability ? 90 : 7,
        publicNetworkAccess: "Enabled",
        // Data plane: the nodes' subnet (service endpoint) and the operators' CIDRs; ARM deployments
        // of secrets go through the trusted-services bypass.
        networkAcls: {
          defaultAction: "Deny",
          bypass: "AzureServices",
          virtualNetworkRules: [{ id: net.nodes.id }],
          ipRules: config.apiAllowedCidrs.map((value) => ({ value })),
        },
      },
      tags,
    },
    opts,
  );

  for (const entry of entries) {
    new keyvault.Secret(
      `${base}-${entry.id}`,
      {
        secretName: entry.key,
        vaultName: vault.name,
        resourceGroupName: resourceGroup.name,
        properties: {
          value: entry.value,
          contentType: entry.id === "postgres" || entry.id === "alerting" ? "application/json" : "text/plain",
        },
        tags: { ...tags, purpose: entry.id },
      },
      opts,
    );
  }

  const eso = azureWorkloadIdentity(ctx, cluster, "external-secrets", SERVICE_ACCOUNTS.externalSecrets);
  assignRole(ctx, "external-secrets-vault", {
    role: "keyVaultSecretsUser",
    principalId: eso.managedIdentity.principalId,
    principalType: "ServicePrincipal",
    scope: vault.id,
  });

  return {
    vault,
    externalSecrets: eso.identity,
    // No serviceAccountRef: the controller authenticates as its own (annotated, labelled) ServiceAccount.
    provider: asValues({
      azurekv: {
        authType: "WorkloadIdentity",
        vaultUrl: vault.properties.apply((p) => p.vaultUri!),
        tenantId: ctx.tenantId,
      },
    }),
  };
}
