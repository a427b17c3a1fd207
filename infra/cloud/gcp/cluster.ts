/**
 * GKE Standard: regional control plane in prod (zonal in dev), private nodes, Workload Identity,
 * Dataplane V2 (eBPF network policy), shielded nodes, a release channel, master authorized networks,
 * and Kubernetes Secrets encrypted with a Cloud KMS key.
 */
import * as container from "@pulumi/gcp/container/index.js";
import * as projects from "@pulumi/gcp/projects/index.js";
import * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
import * as pulumi from "@pulumi/pulumi";
import { after, type CloudContext } from "../context.ts";
import { machineType } from "../sizes.ts";
import type { GcpKeys } from "./kms.ts";
import { type GcpNetwork, PODS_RANGE, SERVICES_RANGE } from "./network.ts";

/** Control-plane and node logs the cluster ships to Cloud Logging (API server included for audit). */
export const GKE_LOG_COMPONENTS = [
  "SYSTEM_COMPONENTS",
  "WORKLOADS",
  "APISERVER",
  "CONTROLLER_MANAGER",
  "SCHEDULER",
];
/** Least privilege for nodes instead of the default compute SA (which is project Editor). */
const NODE_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/artifactregistry.reader",
];
export const POOL_ROLE_LABEL = "llmops.io/pool-role";

export interface GcpCluster {
  cluster: container.Cluster;
  nodePools: container.NodePool[];
  /** Where the cluster lives: the region (prod) or one zone (dev). */
  location: pulumi.Output<string>;
}

export function gcpCluster(
  ctx: CloudContext,
  project: string,
  network: GcpNetwork,
  keys: GcpKeys,
  zones: pulumi.Output<string[]>,
): GcpCluster {
  const { base, tags, opts, config, profile } = ctx;
  const regional = profile.highAvailability;
  const location = regional ? pulumi.output(config.region) : zones.apply((z) => z[0]!);

  const nodeAccount = new serviceaccount.Account(
    `${base}-nodes`,
    { accountId: `${base}-nodes`.slice(0, 30), displayName: `${base} GKE nodes`, project },
    opts,
  );
  const nodeRoles = NODE_ROLES.map(
    (role) =>
      new projects.IAMMember(
        `${base}-nodes-${role.split("/")[1]}`,
        { project, role, member: nodeAccount.member },
        opts,
      ),
  );

  const allowed = config.apiAllowedCidrs;
  const cluster = new container.Cluster(
    base,
    {
      name: base,
      project,
      location,
      nodeLocations: regional ? zones.apply((z) => z.slice(0, profile.zoneCount)) : undefined,
      minMasterVersion: config.kubernetesVersion,
      releaseChannel: { channel: regional ? "STABLE" : "REGULAR" },
      // Node pools are managed below; GKE insists on creating a default one first.
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      network: network.network.id,
      subnetwork: network.subnet.id,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: {
        clusterSecondaryRangeName: PODS_RANGE,
        servicesSecondaryRangeName: SERVICES_RANGE,
      },
      privateClusterConfig: {
        enablePrivateNodes: true,
        // No allowed CIDRs: the API server has no public endpoint at all.
        enablePrivateEndpoint: allowed.length === 0,
        masterIpv4CidrBlock: network.ranges.master,
      },
      masterAuthorizedNetworksConfig: {
        cidrBlocks: allowed.map((cidrBlock) => ({ cidrBlock, displayName: `allowed ${cidrBlock}` })),
        gcpPublicCidrsAccessEnabled: false,
      },
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      datapathProvider: "ADVANCED_DATAPATH",
      enableShieldedNodes: true,
      databaseEncryption: { state: "ENCRYPTED", keyName: keys.cluster.id },
      loggingConfig: { enableComponents: GKE_LOG_COMPONENTS },
      // The platform runs its own Prometheus; Google's managed collection would double the bill.
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: false } },
      addonsConfig: {
        gcePersistentDiskCsiDriverConfig: { enabled: true },
        dnsCacheConfig: { enabled: true },
        httpLoadBalancing: { disabled: false },
      },
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_BASIC" },
      // Automatic upgrades only at weekend nights (UTC), never in the middle of a working day.
      maintenancePolicy: {
        recurringWindow: {
          startTime: "2026-01-03T02:00:00Z",
          endTime: "2026-01-03T06:00:00Z",
          recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
        },
      },
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      enableLegacyAbac: false,
      deletionProtection: profile.deletionProtection,
      resourceLabels: tags,
    },
    after(ctx, ...keys.grants.cluster),
  );

  const nodePools = config.nodePools.map(
    (pool) =>
      new container.NodePool(
        `${base}-${pool.name}`,
        {
          name: pool.name,
          project,
          cluster: cluster.name,
          location,
          // Totals, not per zone: the config's min/max mean the same on a zonal and a regional cluster.
          autoscaling: {
            totalMinNodeCount: pool.minNodes,
            totalMaxNodeCount: pool.maxNodes,
            locationPolicy: "BALANCED",
          },
          management: { autoRepair: true, autoUpgrade: true },
          upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
          nodeConfig: {
            machineType: machineType("gcp", pool.size),
            spot: pool.spot,
            diskType: "pd-balanced",
            diskSizeGb: 100,
            imageType: "COS_CONTAINERD",
            serviceAccount: nodeAccount.email,
            oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
            // Pods see the GKE metadata server (Workload Identity), never the node's credentials.
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            metadata: { "disable-legacy-endpoints": "true" },
            labels: { [POOL_ROLE_LABEL]: pool.role },
            resourceLabels: tags,
          },
        },
        { ...after(ctx, ...nodeRoles), ignoreChanges: ["initialNodeCount"] },
      ),
  );
  return { cluster, nodePools, location };
}
