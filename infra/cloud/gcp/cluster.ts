/**
 * GKE Standard: regional control plane in prod (zonal in dev), private nodes, Workload Identity,
 * Dataplane V2 (eBPF network policy), shielded nodes, a release channel, master authorized networks,
 * and Kubernetes Secrets encrypted with a Cloud KMS key. Node pools live in nodes.ts.
 */
import * as container from "@pulumi/gcp/container/index.js";
import * as pulumi from "@pulumi/pulumi";
import { after, type CloudContext } from "../context.ts";
import { CLUSTER_FACTS, servesClusterwideCiliumPolicy } from "../facts.ts";
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

export interface GcpCluster {
  cluster: container.Cluster;
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
  const { base, tags, config, profile } = ctx;
  const regional = profile.highAvailability;
  const location = regional ? pulumi.output(config.region) : zones.apply((z) => z[0]!);

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
      // Dataplane V2 installs no Cilium policy CRD unless asked; the platform's node-egress policy is
      // of the cluster-wide kind (CLUSTER_FACTS.gcp.dataplane). Applies in place on an existing cluster.
      enableCiliumClusterwideNetworkPolicy: servesClusterwideCiliumPolicy(CLUSTER_FACTS.gcp),
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

  return { cluster, location };
}
