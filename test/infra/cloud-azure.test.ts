/**
 * The Azure cloud layer as planned under mocks: what prod and dev stacks ask Azure for, checked on the
 * security- and availability-relevant inputs, and the kubeconfig that reaches the kubernetes Provider.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACTS } from "../../services/services.ts";
import { SERVICE_ACCOUNTS } from "../../infra/names.ts";
import { type Plan, planStack, runPlanCli } from "../helpers/plan.ts";
import {
  cloudFindings,
  expectNoMetricsServer,
  expectNodeScrapesByEntity,
  cloudResources,
  commonTags,
  isSecret,
  kubernetesProvider,
} from "./cloud-plan.ts";

const T = {
  provider: "pulumi:providers:azure-native",
  resourceGroup: "azure-native:resources:ResourceGroup",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  nat: "azure-native:network:NatGateway",
  publicIp: "azure-native:network:PublicIPAddress",
  cluster: "azure-native:containerservice:ManagedCluster",
  pool: "azure-native:containerservice:AgentPool",
  identity: "azure-native:managedidentity:UserAssignedIdentity",
  federation: "azure-native:managedidentity:FederatedIdentityCredential",
  role: "azure-native:authorization:RoleAssignment",
  lock: "azure-native:authorization:ManagementLockAtResourceLevel",
  zone: "azure-native:dns:Zone",
  vault: "azure-native:keyvault:Vault",
  secret: "azure-native:keyvault:Secret",
  postgres: "azure-native:dbforpostgresql:Server",
  postgresConfig: "azure-native:dbforpostgresql:Configuration",
  entraAdmin: "azure-native:dbforpostgresql:AdministratorsMicrosoftEntra",
  storage: "azure-native:storage:StorageAccount",
  container: "azure-native:storage:BlobContainer",
} as const;

/** Azure resource types without tags (child resources and RBAC objects). */
const UNTAGGABLE = new Set<string>([
  T.subnet,
  T.federation,
  T.role,
  T.lock,
  T.postgresConfig,
  T.entraAdmin,
  T.container,
  "azure-native:dbforpostgresql:Database",
  "azure-native:storage:BlobServiceProperties",
]);

/** Built-in role definition GUIDs the assertions refer to. */
const ROLE = {
  dnsZoneContributor: "befefa01-2a29-4197-83a8-272ff33ce314",
  reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
  networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
};

let prod: Plan;
let dev: Plan;
beforeAll(() => {
  prod = planStack("prod", { cloud: "azure" });
  // Dev also proves the private-only API server when no CIDR is allowed.
  dev = planStack("dev", { cloud: "azure", apiAllowedCidrs: "[]" });
});

/** The managed identity federated with exactly this ServiceAccount. */
function federatedIdentity(plan: Plan, sa: { namespace: string; name: string }) {
  const subject = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const creds = plan.ofType(T.federation).filter((f) => f.inputs.subject === subject);
  expect(creds, subject).toHaveLength(1);
  const cred = creds[0]!;
  expect(cred.inputs.audiences).toEqual(["api://AzureADTokenExchange"]);
  return plan.ofType(T.identity).find((i) => i.name === cred.inputs.resourceName)!;
}
const rolesOf = (plan: Plan, role: string) =>
  plan.ofType(T.role).filter((r) => r.inputs.roleDefinitionId.endsWith(`/roleDefinitions/${role}`));

describe("azure: explicit provider, one resource group, tags", () => {
  it("uses one azure-native Provider with the stack's location, for every resource", () => {
    expect(prod.one(T.provider).inputs.location).toBe("eastus2");
    for (const r of cloudResources(prod, "azure-native"))
      expect(r.provider, r.urn).toContain("pulumi:providers:azure-native::");
    expect(prod.one(T.resourceGroup).inputs).toMatchObject({
      resourceGroupName: "rg-llmops-prod",
      location: "eastus2",
    });
  });

  it.each(["prod", "dev"])("%s: tags project, environment and stack on every taggable resource", (stack) => {
    const plan = stack === "prod" ? prod : dev;
    // Stack-file tags (prod sets cost-center) ride along with project, environment and stack.
    const expected = commonTags(plan, stack === "prod" ? { "cost-center": "ml-platform" } : {});
    const taggable = cloudResources(plan, "azure-native").filter((r) => !UNTAGGABLE.has(r.type));
    expect(taggable.length).toBeGreaterThan(15);
    for (const r of taggable) expect(r.inputs.tags, r.urn).toMatchObject(expected);
  });
});

describe("azure network", () => {
  it("puts nodes in a subnet of vpcCidr whose only egress is a NAT gateway", () => {
    expect(prod.one(T.vnet).inputs.addressSpace).toEqual({ addressPrefixes: ["10.50.0.0/16"] });
    const nodes = prod.one(T.subnet, "llmops-prod-nodes").inputs;
    expect(nodes).toMatchObject({ addressPrefix: "10.50.0.0/20", defaultOutboundAccess: false });
    expect(nodes.natGateway.id).toMatch(/NatGateway\/llmops-prod-nat$/);
    expect(prod.one(T.cluster).inputs.networkProfile.outboundType).toBe("userAssignedNATGateway");
  });

  it("refuses a vpcCidr that overlaps the overlay pod range, before any provider call", () => {
    const run = runPlanCli(["dev", "-c", "cloud=azure", "-c", "vpcCidr=192.168.0.0/16"]);
    // Bad config (exit 2) found before the program runs, with no stack trace.
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("vpcCidr 192.168.0.0/16 overlaps the AKS overlay pod range 192.168.0.0/16");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("delegates a separate subnet to Postgres Flexible Server", () => {
    expect(prod.one(T.subnet, "llmops-prod-postgres").inputs).toMatchObject({
      addressPrefix: "10.50.16.0/24",
      delegations: [{ serviceName: "Microsoft.DBforPostgreSQL/flexibleServers" }],
    });
  });
});

describe("azure AKS: Entra ID, workload identity, network policy, zones", () => {
  it("uses Azure RBAC with Entra ID, admin groups from config, and no local accounts", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.enableRBAC).toBe(true);
    expect(cluster.disableLocalAccounts).toBe(true);
    expect(cluster.aadProfile).toMatchObject({
      managed: true,
      enableAzureRBAC: true,
      adminGroupObjectIDs: ["6f1c2e3a-8b7d-4c5e-9f0a-1b2c3d4e5f60"],
    });
  });

  it("enables the OIDC issuer and workload identity", () => {
    const cluster = prod.one(T.cluster).inputs;
    expect(cluster.oidcIssuerProfile).toEqual({ enabled: true });
    expect(cluster.securityProfile.workloadIdentity).toEqual({ enabled: true });
  });

  it("runs Azure CNI overlay with Cilium network policy", () => {
    expect(prod.one(T.cluster).inputs.networkProfile).toMatchObject({
      networkPlugin: "azure",
      networkPluginMode: "overlay",
      networkPolicy: "cilium",
    });
  });

  it("prod: API server restricted to apiAllowedCidrs and the nodes' NAT address, paid SLA tier, pools across 3 zones", () => {
    const cluster = prod.one(T.cluster).inputs;
    // The plan's one public IP is the NAT gateway's, the nodes' only way out: kubelets reach the API server from it.
    expect(prod.one(T.publicIp).inputs.publicIPAllocationMethod).toBe("Static");
    expect(cluster.apiServerAccessProfile).toEqual({
      authorizedIPRanges: [
        "203.0.113.0/24",
        "198.51.100.0/24",
        expect.stringMatching(/^\d+\.\d+\.\d+\.\d+\/32$/),
      ],
    });
    expect(cluster.sku.tier).toBe("Standard");
    expect(cluster.kubernetesVersion).toBe("1.34");
    const pools = [...cluster.agentPoolProfiles, ...prod.ofType(T.pool).map((p) => p.inputs)];
    expect(pools).toHaveLength(2);
    for (const p of pools) expect(p.availabilityZones).toEqual(["1", "2", "3"]);
  });

  it("dev with no allowed CIDRs: private API server, free tier, two zones", () => {
    const cluster = dev.one(T.cluster).inputs;
    expect(cluster.apiServerAccessProfile).toMatchObject({ enablePrivateCluster: true });
    expect(cluster.apiServerAccessProfile.authorizedIPRanges).toBeUndefined();
    expect(cluster.sku.tier).toBe("Free");
    expect(cluster.agentPoolProfiles[0].availabilityZones).toEqual(["1", "2"]);
  });

  it("autoscales pools sized from config; the system pool lives in the cluster, others are AgentPools", () => {
    const [system] = prod.one(T.cluster).inputs.agentPoolProfiles;
    expect(system).toMatchObject({
      name: "system",
      mode: "System",
      vmSize: "Standard_D8s_v5",
      enableAutoScaling: true,
      minCount: 3,
      maxCount: 6,
      enableNodePublicIP: false,
    });
    expect(prod.one(T.pool).inputs).toMatchObject({
      agentPoolName: "workload",
      mode: "User",
      vmSize: "Standard_D16s_v5",
      enableAutoScaling: true,
      minCount: 3,
      maxCount: 24,
    });
  });

  it("dev: the only pool becomes the System pool on regular VMs (AKS refuses Spot system pools)", () => {
    expect(dev.one(T.cluster).inputs.agentPoolProfiles[0]).toMatchObject({
      name: "general",
      mode: "System",
      vmSize: "Standard_D4s_v5",
      scaleSetPriority: "Regular",
    });
    expect(dev.ofType(T.pool)).toHaveLength(0);
  });

  it("gives the control-plane identity the node subnet and the deployer cluster admin via Azure RBAC", () => {
    expect(rolesOf(prod, ROLE.networkContributor)[0]!.inputs.scope).toMatch(/Subnet\/llmops-prod-nodes$/);
    const admin = rolesOf(prod, ROLE.aksRbacClusterAdmin)[0]!.inputs;
    expect(admin.scope).toMatch(/ManagedCluster\/llmops-prod$/);
    expect(admin.principalType).toBe("ServicePrincipal");
  });
});

describe("azure identities: workload identity per consumer, scoped roles", () => {
  it.each(Object.entries(SERVICE_ACCOUNTS))("%s is federated with its own managed identity", (_, sa) => {
    federatedIdentity(prod, sa);
  });

  it("grants DNS Zone Contributor on the stack's zone to external-dns and cert-manager only", () => {
    const grants = rolesOf(prod, ROLE.dnsZoneContributor);
    expect(grants).toHaveLength(2);
    for (const g of grants) expect(g.inputs.scope).toMatch(/dns:Zone\/llmops-prod-zone$/);
  });

  it("lets external-dns read the zone's resource group (its provider lists zones there) and nothing wider", () => {
    const grants = rolesOf(prod, ROLE.reader);
    expect(grants).toHaveLength(1);
    expect(grants[0]!.inputs.scope).toMatch(/resources:ResourceGroup\/rg-llmops-prod$/);
    // The same principal as external-dns's zone grant.
    expect(grants[0]!.inputs.principalId).toBe(
      prod.ofType(T.role).find((r) => r.name === "llmops-prod-external-dns-zone")!.inputs.principalId,
    );
  });

  it("grants external-secrets Key Vault Secrets User on the vault only", () => {
    const [grant] = rolesOf(prod, ROLE.keyVaultSecretsUser);
    expect(grant!.inputs.scope).toMatch(/keyvault:Vault\/llmops-prod-vault$/);
    expect(grant!.inputs.principalType).toBe("ServicePrincipal");
  });

  it("wires cert-manager's DNS-01 solver to its managed identity on the zone", () => {
    const issuer = prod.objects("ClusterIssuer", "letsencrypt-prod")[0];
    const dns01 = issuer.spec.acme.solvers.find((s: any) => s.dns01).dns01;
    expect(dns01.azureDNS).toMatchObject({
      hostedZoneName: "llm.example.com",
      subscriptionID: expect.any(String),
      managedIdentity: { clientID: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
  });
});

describe("azure DNS zone", () => {
  it("hosts config.domain publicly", () => {
    expect(prod.one(T.zone).inputs).toMatchObject({
      zoneName: "llm.example.com",
      zoneType: "Public",
      location: "global",
    });
  });
});

describe("azure secret store: Key Vault", () => {
  it("uses RBAC authorization, soft delete and purge protection; prod keeps deleted secrets 90 days", () => {
    expect(prod.one(T.vault).inputs.properties).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      enablePurgeProtection: true,
      softDeleteRetentionInDays: 90,
    });
    expect(dev.one(T.vault).inputs.properties).toMatchObject({
      enablePurgeProtection: true,
      softDeleteRetentionInDays: 7,
    });
  });

  it("denies the data plane except from the node subnet and the operators' CIDRs", () => {
    expect(prod.one(T.vault).inputs.properties.networkAcls).toEqual({
      defaultAction: "Deny",
      bypass: "AzureServices",
      virtualNetworkRules: [{ id: expect.stringMatching(/Subnet\/llmops-prod-nodes$/) }],
      ipRules: [{ value: "203.0.113.0/24" }, { value: "198.51.100.0/24" }],
    });
  });

  it("stores Postgres, each LLM provider key, alerting, client and admin keys, Grafana's OIDC client secret as secret values", () => {
    const secrets = prod.ofType(T.secret);
    expect(secrets.map((s) => s.inputs.secretName)).toEqual([
      "llmops-prod-postgres",
      "llmops-prod-llm-openai",
      "llmops-prod-llm-anthropic",
      "llmops-prod-alerting",
      "llmops-prod-client-api-keys",
      "llmops-prod-admin-api-keys",
      "llmops-prod-grafana-oidc",
    ]);
    // A secret value makes the whole properties object secret on the wire.
    for (const s of secrets) expect(isSecret(s.inputs.properties), s.name).toBe(true);
  });

  it("hands external-secrets a ClusterSecretStore on workload identity", () => {
    const store = prod.objects("ClusterSecretStore")[0];
    expect(store.spec.provider).toEqual({
      azurekv: {
        authType: "WorkloadIdentity",
        vaultUrl: expect.stringMatching(/^https:\/\/.+\.vault\.azure\.net\/$/),
        tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
  });
});

describe("azure Postgres: Flexible Server", () => {
  it("prod: VNet-only, 14 days of geo-redundant backups, zone-redundant HA", () => {
    expect(prod.one(T.postgres).inputs).toMatchObject({
      version: "16",
      sku: { name: "Standard_E2ds_v5", tier: "MemoryOptimized" },
      // The stack asks for 200 GB; Flexible Server sells 128 or 256 GiB, never 200.
      storage: { storageSizeGB: 256 },
      network: {
        publicNetworkAccess: "Disabled",
        delegatedSubnetResourceId: expect.stringMatching(/Subnet\/llmops-prod-postgres$/),
      },
      backup: { backupRetentionDays: 14, geoRedundantBackup: "Enabled" },
      highAvailability: { mode: "ZoneRedundant" },
      dataEncryption: { type: "SystemManaged" },
    });
    expect(isSecret(prod.one(T.postgres).inputs.administratorLoginPassword)).toBe(true);
  });

  it("prod: a CanNotDelete lock depends on the server", () => {
    const lock = prod.one(T.lock);
    expect(lock.inputs).toMatchObject({ level: "CanNotDelete", resourceType: "flexibleServers" });
    expect(lock.dependsOn).toContain(prod.one(T.postgres).urn);
  });

  it("requires TLS", () => {
    expect(prod.one(T.postgresConfig).inputs).toMatchObject({
      configurationName: "require_secure_transport",
      value: "on",
    });
  });

  it("dev: burstable, no HA, no lock, still private with 7 days of backups", () => {
    expect(dev.one(T.postgres).inputs).toMatchObject({
      sku: { tier: "Burstable" },
      // The 20 GB dev default is no Flexible Server size: the smallest, 32 GiB.
      storage: { storageSizeGB: 32 },
      highAvailability: { mode: "Disabled" },
      network: { publicNetworkAccess: "Disabled" },
      backup: { backupRetentionDays: 7 },
    });
    expect(dev.ofType(T.lock)).toHaveLength(0);
  });
});

describe("azure Postgres: each Postgres user logs in with its managed identity (Microsoft Entra authentication)", () => {
  const USERS = CONTRACTS.filter((c) => c.postgres).map((c) => c.name);

  it("the server takes Entra tokens of the stack's tenant, and passwords (the monitoring login's)", () => {
    for (const plan of [prod, dev])
      expect(plan.one(T.postgres).inputs.authConfig).toEqual({
        activeDirectoryAuth: "Enabled",
        passwordAuth: "Enabled",
        tenantId: "00000000-0000-4000-8000-0000000000aa",
      });
  });

  it.each(USERS)(
    "%s: a managed identity federated with its ServiceAccount only, with no Azure role (its rights are Postgres grants)",
    (s) => {
      for (const plan of [prod, dev]) {
        const identity = federatedIdentity(plan, { namespace: "llmops", name: s });
        expect(identity.inputs.resourceName).toBe(`llmops-${plan.inventory.stack}-db-${s}`);
        expect(plan.ofType(T.role).filter((r) => r.name.includes(`db-${s}`))).toEqual([]);
      }
    },
  );

  it("the roles Job's own managed identity is the server's Microsoft Entra administrator, as a service principal", () => {
    for (const plan of [prod, dev]) {
      const identity = federatedIdentity(plan, { namespace: "llmops", name: "postgres-roles" });
      const admin = plan.one(T.entraAdmin);
      expect(admin.inputs).toEqual({
        resourceGroupName: `rg-llmops-${plan.inventory.stack}`,
        serverName: plan.one(T.postgresConfig).inputs.serverName,
        objectId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        // An identity's Postgres user name is its display name: the managed identity's name.
        principalName: identity.inputs.resourceName,
        principalType: "servicePrincipal",
        tenantId: plan.one(T.postgres).inputs.authConfig.tenantId,
      });
      // The same API version as the server (azure-native's default for both: 2025-08-01).
      expect(admin.type).toBe("azure-native:dbforpostgresql:AdministratorsMicrosoftEntra");
    }
  });
});

describe("azure log storage", () => {
  it("prod: Entra-only, private blob storage for Loki written through workload identity; dev: none", () => {
    const logs = prod.ofType(T.storage).find((s) => s.name.endsWith("-logs"))!;
    expect(logs.inputs).toMatchObject({
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      minimumTlsVersion: "TLS1_2",
      sku: { name: "Standard_ZRS" },
      networkRuleSet: { defaultAction: "Deny" },
    });
    expect(
      prod
        .ofType(T.container)
        .filter((c) => c.name.includes("-loki-"))
        .map((c) => c.inputs.containerName),
    ).toEqual(["chunks", "ruler"]);
    const loki = federatedIdentity(prod, SERVICE_ACCOUNTS.loki);
    const [grant] = rolesOf(prod, ROLE.storageBlobDataContributor).filter((r) => r.name.includes("loki"));
    expect(grant!.inputs.scope).toMatch(/StorageAccount\/llmops-prod-logs$/);
    expect(loki).toBeDefined();
    expect(dev.ofType(T.storage)).toHaveLength(0);
  });
});

describe("azure backup storage (Velero)", () => {
  it("prod: an Entra-only, private, versioned storage account written by Velero's workload identity; dev: none", () => {
    const account = prod.ofType(T.storage).find((s) => s.name.endsWith("-backups"))!;
    expect(account.inputs).toMatchObject({
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      minimumTlsVersion: "TLS1_2",
      sku: { name: "Standard_ZRS" },
      networkRuleSet: { defaultAction: "Deny" },
    });
    expect(prod.one("azure-native:storage:BlobServiceProperties").inputs).toMatchObject({
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 7 },
    });
    expect(prod.ofType(T.container).find((c) => c.name.endsWith("-velero"))!.inputs.containerName).toBe(
      "velero",
    );
    const velero = federatedIdentity(prod, SERVICE_ACCOUNTS.velero);
    expect(velero).toBeDefined();
    const grant = rolesOf(prod, ROLE.storageBlobDataContributor).find((r) => r.name.includes("velero"))!;
    expect(grant.inputs.scope).toMatch(/StorageAccount\/llmops-prod-backups$/);
    expect(dev.ofType(T.storage).filter((s) => s.name.endsWith("-backups"))).toHaveLength(0);
  });
});

describe("azure kubeconfig reaches the kubernetes Provider", () => {
  // Its contents (exec plugin, server and CA from the cluster outputs) are checked in cloud-outputs.test.ts.
  it("receives the kubeconfig as a secret, once the agent pools and the deployer's cluster admin exist", () => {
    for (const plan of [prod, dev]) {
      const provider = kubernetesProvider(plan);
      for (const r of plan.ofType(T.pool)) expect(provider.dependsOn).toContain(r.urn);
      // Otherwise the first writes race the Azure RBAC grant and fail with 403.
      expect(provider.dependsOn).toContain(rolesOf(plan, ROLE.aksRbacClusterAdmin)[0]!.urn);
    }
  });

  it("is the provider of every Kubernetes resource the platform and apps declare", () => {
    const provider = kubernetesProvider(prod);
    const k8s = prod.inventory.resources.filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(0);
    for (const r of k8s) expect(r.provider, r.urn).toBe(provider.urn);
  });
});

describe("azure: the policy pack's view", () => {
  it("prod: no finding on any cloud resource", () => {
    expect(cloudFindings(prod)).toEqual([]);
  });

  it("dev: the cheaper shape shows only as advisory availability findings", () => {
    const findings = cloudFindings(dev);
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.enforcement, f.rule).toBe("advisory");
      expect(["postgres-ha"]).toContain(f.rule);
    }
  });
});

describe("azure: what the managed cluster brings, as cloud-layer facts", () => {
  it("AKS Azure CNI powered by Cilium: Prometheus reaches kubelets and node-exporter by Cilium entity, not only by ipBlock", async () => {
    await expectNodeScrapesByEntity(prod, "CiliumNetworkPolicy");
    await expectNodeScrapesByEntity(dev, "CiliumNetworkPolicy");
  });

  it("metrics-server comes with the cluster: none installed", () => {
    expectNoMetricsServer(prod);
    expectNoMetricsServer(dev);
  });
});
