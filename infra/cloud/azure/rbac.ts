/** Azure RBAC role assignments, always to a principal at the narrowest scope that works. */
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { type AzureContext, type ROLES, roleDefinitionId } from "./context.ts";

export function assignRole(
  ctx: AzureContext,
  id: string,
  args: {
    role: keyof typeof ROLES;
    principalId: pulumi.Input<string>;
    scope: pulumi.Input<string>;
    /** Managed identities are service principals; the deployer may be either. */
    principalType: pulumi.Input<"User" | "ServicePrincipal">;
  },
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    `${ctx.base}-${id}`,
    {
      principalId: args.principalId,
      principalType: args.principalType,
      roleDefinitionId: roleDefinitionId(ctx, args.role),
      scope: args.scope,
    },
    ctx.opts,
  );
}
