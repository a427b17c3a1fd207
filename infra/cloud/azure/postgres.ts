/**
 * Azure Database for PostgreSQL Flexible Server inside the VNet (delegated subnet, private DNS zone,
 * no public access), encrypted at rest, TLS required; prod is zone-redundant HA with geo-redundant
 * backups and a CanNotDelete lock.
 */
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import type * as containerservice from "@pulumi/azure-native/containerservice/index.js";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql/index.js";
import * as privatedns from "@pulumi/azure-native/privatedns/index.js";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_ROLES_SERVICE_ACCOUNT } from "../../names.ts";
import { POSTGRES_DATABASE, POSTGRES_USER } from "../secrets.ts";
import type { CloudPostgres, DatabaseLogin, DatabaseLoginRequest } from "../types.ts";
import { azureWorkloadIdentity } from "./identity.ts";
import { POSTGRES_TIERS } from "../sizes.ts";
import { azurePostgresStorageGb, azurePostgresTier } from "./postgres-sizes.ts";
import type { AzureContext } from "./context.ts";
import type { AzureNetwork } from "./network.ts";

export function azurePostgres(
  ctx: AzureContext,
  net: AzureNetwork,
  suffix: pulumi.Output<string>,
  password: pulumi.Output<string>,
): dbforpostgresql.Server {
  const { base, tags, opts, config, profile, resourceGroup, location } = ctx;
  const rg = resourceGroup.name;
  // Flexible Server resolves its private address through a zone linked to the VNet.
  const zone = new privatedns.PrivateZone(
    `${base}-postgres`,
    {
      privateZoneName: `${base}.private.postgres.database.azure.com`,
      resourceGroupName: rg,
      location: "global",
      tags,
    },
    opts,
  );
  const link = new privatedns.VirtualNetworkLink(
    `${base}-postgres`,
    {
      privateZoneName: zone.name,
      resourceGroupName: rg,
      location: "global",
      virtualNetwork: { id: net.vnet.id },
      registrationEnabled: false,
      tags,
    },
    opts,
  );

  const ha = profile.highAvailability;
  const server = new dbforpostgresql.Server(
    `${base}-postgres`,
    {
      // Server names are global DNS labels.
      serverName: suffix.apply((s) => `${base}-pg-${s}`),
      resourceGroupName: rg,
      location,
      version: config.postgres.version,
      administratorLogin: POSTGRES_USER,
      administratorLoginPassword: password,
      sku: { name: POSTGRES_TIERS.azure[config.environment], tier: azurePostgresTier(ha) },
      // Only fixed steps exist (20 GiB, the dev default, would be refused): the next one up.
      storage: { storageSizeGB: azurePostgresStorageGb(profile.postgresStorageGb), autoGrow: "Enabled" },
      backup: {
        backupRetentionDays: profile.backupRetentionDays,
        geoRedundantBackup: ha ? "Enabled" : "Disabled",
      },
      highAvailability: ha ? { mode: "ZoneRedundant" } : { mode: "Disabled" },
      availabilityZone: ha ? "1" : undefined,
      network: {
        delegatedSubnetResourceId: net.postgres.id,
        privateDnsZoneArmResourceId: zone.id,
        publicNetworkAccess: "Disabled",
      },
      // Entra for the services and the roles Job (azurePostgresLogins), passwords for the monitoring login.
      authConfig: { passwordAuth: "Enabled", activeDirectoryAuth: "Enabled", tenantId: ctx.tenantId },
      // Storage is always encrypted at rest; SystemManaged names the key holder explicitly.
      dataEncryption: { type: "SystemManaged" },
      maintenanceWindow: { customWindow: "Enabled", dayOfWeek: 0, startHour: 4, startMinute: 0 },
      tags,
    },
    { ...opts, dependsOn: [link], protect: profile.deletionProtection },
  );
  new dbforpostgresql.Configuration(
    `${base}-postgres-tls`,
    {
      configurationName: "require_secure_transport",
      serverName: server.name,
      resourceGroupName: rg,
      value: "on",
      source: "user-override",
    },
    opts,
  );
  new dbforpostgresql.Database(
    `${base}-postgres`,
    {
      databaseName: POSTGRES_DATABASE,
      serverName: server.name,
      resourceGroupName: rg,
      charset: "UTF8",
      collation: "en_US.utf8",
    },
    opts,
  );
  if (profile.deletionProtection) {
    new authorization.ManagementLockAtResourceLevel(
      `${base}-postgres`,
      {
        lockName: "do-not-delete",
        level: "CanNotDelete",
        notes: "Production database: remove this lock deliberately before deleting the server.",
        resourceGroupName: rg,
        resourceProviderNamespace: "Microsoft.DBforPostgreSQL",
        parentResourcePath: "",
        resourceType: "flexibleServers",
        resourceName: server.name,
        apiVersion: "2024-08-01",
      },
      { ...opts, dependsOn: [server] },
    );
  }
  return server;
}

export interface AzurePostgresLogins {
  logins: Record<string, DatabaseLogin>;
  tokenAdmin: NonNullable<CloudPostgres["tokenAdmin"]>;
}

/**
 * Entra logins (the server's authConfig.activeDirectoryAuth): one user-assigned managed identity per
 * request, federated with its exact Kubernetes ServiceAccount; the roles Job maps the request's role
 * to the identity's principal (object) id. Only the server's Entra administrator may create such
 * roles, so the Job has an identity of its own (POSTGRES_ROLES_SERVICE_ACCOUNT) and that identity is
 * the server's Microsoft Entra administrator; its Postgres user is the identity's name. The clients'
 * passwords are Entra tokens for the ossrdbms-aad scope. The password admin stays for the
 * monitoring login's password role.
 */
export function azurePostgresLogins(
  ctx: AzureContext,
  cluster: containerservice.ManagedCluster,
  server: dbforpostgresql.Server,
  requests: readonly DatabaseLoginRequest[],
): AzurePostgresLogins {
  const logins = Object.fromEntries(
    requests.map((request) => {
      const { managedIdentity, identity } = azureWorkloadIdentity(
        ctx,
        cluster,
        `db-${request.id}`,
        request.serviceAccount,
      );
      return [
        request.id,
        { user: pulumi.output(request.role), identity, objectId: managedIdentity.principalId },
      ];
    }),
  );
  const admin = azureWorkloadIdentity(ctx, cluster, "db-admin", POSTGRES_ROLES_SERVICE_ACCOUNT);
  const administrator = new dbforpostgresql.AdministratorsMicrosoftEntra(
    `${ctx.base}-postgres-entra-admin`,
    {
      resourceGroupName: ctx.resourceGroup.name,
      serverName: server.name,
      objectId: admin.managedIdentity.principalId,
      principalName: admin.managedIdentity.name,
      principalType: dbforpostgresql.PrincipalType.ServicePrincipal,
      tenantId: ctx.tenantId,
    },
    ctx.opts,
  );
  return {
    logins,
    // The name once the server knows it as its administrator: the Job cannot log in before.
    tokenAdmin: { identity: admin.identity, user: administrator.principalName.apply((n) => n!) },
  };
}
