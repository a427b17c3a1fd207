/**
 * Azure implementation of the cloud layer: VNet with NAT gateway, AKS with Entra ID RBAC and workload
 * identity, Azure DNS, Key Vault, private Postgres Flexible Server and (prod) Blob log and trace storage,
 * wired into one kubernetes Provider.
 */
import { getClientConfigOutput } from "@pulumi/azure-native/authorization/getClientConfig.js";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as pulumi from "@pulumi/pulumi";
import { RandomString } from "@pulumi/random/randomString.js";
import type { StackConfig } from "../config.ts";
import { azureBackupStorage } from "./azure/backups.ts";
import { azureCluster } from "./azure/cluster.ts";
import { AZURE_CLI_CLIENT_ID, type AzureContext } from "./azure/context.ts";
import { azureDns } from "./azure/dns.ts";
import { azureKubeconfig } from "./azure/kubeconfig.ts";
import { azureLogStorage } from "./azure/logs.ts";
import { azureTraceStorage } from "./azure/traces.ts";
import { azureNetwork } from "./azure/network.ts";
import { azurePostgres, azurePostgresLogins } from "./azure/postgres.ts";
import { azurePostgresCaBundle } from "./azure/postgres-ca.ts";
import { azureSecretStore } from "./azure/secrets.ts";
import { baseName, tagList } from "./naming.ts";
import { environmentProfile } from "./profile.ts";
import { postgresPassword, secretEntries } from "./secrets.ts";
import { CloudComponent } from "./component.ts";
import { CLUSTER_FACTS } from "./facts.ts";
import type { CloudLayer, DatabaseLoginRequest } from "./types.ts";

export const AZURE_DISK_CSI_DRIVER = "disk.csi.azure.com";

export class AzureCloud extends CloudComponent {
  readonly cloud = "azure" as const;
  readonly facts = CLUSTER_FACTS.azure;
  readonly publicLoadBalancer: CloudLayer["publicLoadBalancer"];
  readonly storageClasses: CloudLayer["storageClasses"] = {
    fastSsd: { provisioner: AZURE_DISK_CSI_DRIVER, parameters: { skuName: "Premium_LRS" } },
    standardSsd: { provisioner: AZURE_DISK_CSI_DRIVER, parameters: { skuName: "StandardSSD_LRS" } },
    snapshotDriver: AZURE_DISK_CSI_DRIVER,
  };

  constructor(
    name: string,
    args: { config: StackConfig; databaseLogins: readonly DatabaseLoginRequest[] },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("llmops:cloud:AzureCloud", name, {}, opts);
    const config = args.config;
    const base = baseName(config);
    const azure = new AzureProvider(`${name}-azure`, { location: config.region }, { parent: this });
    const client = getClientConfigOutput({ parent: this, provider: azure });
    const resourceGroup = new resources.ResourceGroup(
      `rg-${base}`,
      { resourceGroupName: `rg-${base}`, location: config.region, tags: config.commonTags },
      { parent: this, provider: azure },
    );
    const ctx: AzureContext = {
      config,
      profile: environmentProfile(config),
      base,
      tags: config.commonTags,
      opts: { parent: this, provider: azure },
      resourceGroup,
      location: config.region,
      subscriptionId: client.subscriptionId,
      tenantId: client.tenantId,
      deployer: {
        objectId: client.objectId,
        principalType: client.clientId.apply((id) =>
          id === AZURE_CLI_CLIENT_ID ? "User" : "ServicePrincipal",
        ),
      },
    };
    this.publicLoadBalancer = {
      // The public IP AKS creates for the gateway carries the stack's tags like everything else.
      serviceAnnotations: { "service.beta.kubernetes.io/azure-pip-tags": tagList(ctx.tags) },
    };
    // Globally named resources (vault, Postgres server, storage account) share this suffix.
    const suffix = new RandomString(
      `${base}-suffix`,
      { length: 5, special: false, upper: false },
      { parent: this },
    ).result;

    const network = azureNetwork(ctx);
    const aks = azureCluster(ctx, network);

    const dns = azureDns(ctx, aks.cluster);
    const password = postgresPassword(`${base}-postgres`, this);
    const db = azurePostgres(ctx, network, suffix, password);
    // The server certificate names <server>.postgres.database.azure.com, the FQDN the services dial.
    const tls = { caBundle: pulumi.output(azurePostgresCaBundle()), sslmode: "verify-full" } as const;
    const store = azureSecretStore(
      ctx,
      aks.cluster,
      network,
      suffix,
      secretEntries(config, { host: db.fullyQualifiedDomainName, password, sslmode: tls.sslmode }),
    );
    this.publish(name, {
      config,
      clusterName: aks.cluster.name,
      dnsZone: { name: dns.zone.name, id: dns.zone.id, nameServers: dns.zone.nameServers },
      dns,
      externalDnsProvider: "azure",
      secretStore: store,
      logs: azureLogStorage(ctx, aks.cluster, network, suffix),
      traces: azureTraceStorage(ctx, aks.cluster, network, suffix),
      backups: azureBackupStorage(ctx, aks.cluster, network, suffix),
      postgres: {
        host: db.fullyQualifiedDomainName,
        tls,
        auth: "azure-entra",
        ...azurePostgresLogins(ctx, aks.cluster, db, args.databaseLogins),
        clientEnv: {},
      },
      kubeconfig: azureKubeconfig(ctx, aks.cluster),
      // Azure RBAC, not Kubernetes RBAC, admits the deployer: without the grant every write is a 403.
      kubernetesReady: [...aks.pools, aks.deployerAdmin],
    });
  }
}
