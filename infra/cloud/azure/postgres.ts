/**
 * Azure Database for PostgreSQL Flexible Server inside the VNet (delegated subnet, private DNS zone,
 * no public access), encrypted at rest, TLS required; prod is zone-redundant HA with geo-redundant
 * backups and a CanNotDelete lock.
 */
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as dbforpostgresql from "@pulumi/azure-native/dbforpostgresql/index.js";
import * as privatedns from "@pulumi/azure-native/privatedns/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { POSTGRES_DATABASE, POSTGRES_USER } from "../secrets.ts";
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
