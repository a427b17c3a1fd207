/** The Azure modules' shared context: the stack's resource group and the signed-in tenant/subscription. */
import type * as resources from "@pulumi/azure-native/resources/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudContext } from "../context.ts";

export interface AzureContext extends CloudContext {
  resourceGroup: resources.ResourceGroup;
  location: string;
  subscriptionId: pulumi.Output<string>;
  tenantId: pulumi.Output<string>;
  /** The identity running Pulumi (granted cluster admin, like EKS's cluster creator). */
  deployer: { objectId: pulumi.Output<string>; principalType: pulumi.Output<"User" | "ServicePrincipal"> };
}

/**
 * The Azure CLI's public client id: signed in through `az login` the deployer is a user, otherwise a
 * service principal or managed identity (CI). Role assignments must state which.
 */
export const AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/** Built-in role definition ids (stable GUIDs across all tenants). */
export const ROLES = {
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
  dnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
} as const;

export function roleDefinitionId(ctx: AzureContext, role: keyof typeof ROLES): pulumi.Output<string> {
  return ctx.subscriptionId.apply(
    (sub) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`,
  );
}

/**
 * Zones pools and zone-redundant resources span ("1".."3" in prod, "1","2" in dev): AKS charges
 * nothing for zones, so dev gets the same shape as the other clouds' two-zone dev networks.
 */
export function azureZones(ctx: CloudContext): string[] {
  return Array.from({ length: ctx.profile.zoneCount }, (_, i) => String(i + 1));
}
