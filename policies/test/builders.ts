/** Builders the per-rule fixtures (rules/<id>.fixtures.ts) share: mutate a compliant object, cloud resources. */
import type { InventoryResource } from "../offline/index.ts";
import * as F from "./fixtures.ts";
import { res, T } from "./fixtures.ts";

/** One good or bad example for a rule: the resources under test and, in context, others the inventory needs. */
export interface Fixture {
  name: string;
  resources: InventoryResource[];
  /** Present in the inventory but not under test (e.g. the provider whose defaultTags count). */
  context?: InventoryResource[];
  /** Options of the rule under test, over the prod pack config (e.g. an allow-list entry). */
  options?: Record<string, unknown>;
}

/** A rule's examples: good ones must yield no violation of the rule, bad ones at least one. */
export interface RuleFixtures {
  good: Fixture[];
  bad: Fixture[];
}

export const clone = <X>(x: X): X => structuredClone(x);
export const mut = <X>(x: X, f: (y: any) => void): X => {
  const y = clone(x);
  f(y);
  return y;
};
export const c0 = (d: any) => d.spec.template.spec.containers[0];
export const pod = (d: any) => d.spec.template.spec;
export const D = F.deployment();
export const dep = (name: string, d: any) => res(T.deploy, name, d);
export function gke() {
  return {
    name: "llmops-prod",
    location: "europe-west1",
    removeDefaultNodePool: true,
    initialNodeCount: 1,
    enableShieldedNodes: true,
    privateClusterConfig: {
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
      masterIpv4CidrBlock: "172.16.0.0/28",
    },
    masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }] },
    workloadIdentityConfig: { workloadPool: "proj.svc.id.goog" },
    datapathProvider: "ADVANCED_DATAPATH",
    resourceLabels: { ...F.TAGS },
  };
}
export function aks() {
  return {
    resourceGroupName: "rg",
    enableRBAC: true,
    disableLocalAccounts: true,
    aadProfile: { managed: true, enableAzureRBAC: true },
    networkProfile: { networkPlugin: "azure", networkPolicy: "cilium" },
    apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] },
    agentPoolProfiles: [{ name: "system", mode: "System", count: 3, availabilityZones: ["1", "2", "3"] }],
    tags: { ...F.TAGS },
  };
}
export function vault() {
  return {
    resourceGroupName: "rg",
    properties: {
      tenantId: "t",
      sku: { family: "A", name: "standard" },
      enablePurgeProtection: true,
      enableSoftDelete: true,
      enableRbacAuthorization: true,
    },
    tags: { ...F.TAGS },
  };
}
export function cloudSql() {
  return {
    databaseVersion: "POSTGRES_16",
    region: "europe-west1",
    deletionProtection: true,
    settings: {
      tier: "db-custom-2-7680",
      availabilityType: "REGIONAL",
      ipConfiguration: {
        ipv4Enabled: false,
        privateNetwork: "projects/p/global/networks/vpc",
        sslMode: "ENCRYPTED_ONLY",
      },
      backupConfiguration: {
        enabled: true,
        pointInTimeRecoveryEnabled: true,
        transactionLogRetentionDays: 7,
        backupRetentionSettings: { retainedBackups: 14 },
      },
      userLabels: { ...F.TAGS },
    },
  };
}
export function azPg() {
  return {
    resourceGroupName: "rg",
    version: "16",
    network: { publicNetworkAccess: "Disabled", delegatedSubnetResourceId: "/subscriptions/s/subnets/db" },
    backup: { backupRetentionDays: 14, geoRedundantBackup: "Enabled" },
    highAvailability: { mode: "ZoneRedundant" },
    tags: { ...F.TAGS },
  };
}
export function aurora(n: number, f: (c: any) => void = () => {}) {
  const cluster = res(T.rds, "db", mut(F.rdsCluster(), f));
  return [
    cluster,
    ...Array.from({ length: n }, (_, i) => res(T.rdsi, `db-${i}`, F.rdsInstance(i), { parent: cluster.urn })),
  ];
}
export function azurePgWithLock(lock: boolean) {
  const server = res("azure-native:dbforpostgresql:Server", "db", azPg());
  const l = res(
    "azure-native:authorization:ManagementLockByScope",
    "db-lock",
    { level: "CanNotDelete", scope: "/x" },
    { dependsOn: [server.urn] },
  );
  return lock ? [server, l] : [server];
}
/** An EKS cluster without tags of its own, and the provider whose defaultTags tag it. */
export function withProvider(): Omit<Fixture, "name"> {
  const prov = res("pulumi:providers:aws", "aws", {
    region: "eu-west-1",
    defaultTags: { tags: { ...F.TAGS } },
  });
  const eks = res(
    T.eks,
    "c",
    mut(F.eks(), (c) => delete c.tags),
    { provider: `${prov.urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9` },
  );
  return { resources: [eks], context: [prov] };
}
/** The compliant Deployment changed by f. */
export const variant = (f: (d: any) => void, name = "router") => dep(name, mut(D, f));
