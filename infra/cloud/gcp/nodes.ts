/**
 * GKE node pools, one per configured pool: a least-privilege node service account (not the default
 * compute account, which is project Editor), shielded COS nodes that expose only the GKE metadata
 * server to pods, autoscaling totals that mean the same on zonal and regional clusters.
 */
import * as container from "@pulumi/gcp/container/index.js";
import * as projects from "@pulumi/gcp/projects/index.js";
import * as serviceaccount from "@pulumi/gcp/serviceaccount/index.js";
import type * as pulumi from "@pulumi/pulumi";
import { after, type CloudContext } from "../context.ts";
import { gcpAccountId } from "../naming.ts";
import { machineType } from "../sizes.ts";
import { POOL_ROLE_LABEL } from "../types.ts";
import { nodeTag } from "./firewall.ts";

const NODE_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/artifactregistry.reader",
];

export function gcpNodePools(
  ctx: CloudContext,
  project: string,
  cluster: container.Cluster,
  location: pulumi.Output<string>,
): container.NodePool[] {
  const { base, tags, opts, config } = ctx;
  const nodeAccount = new serviceaccount.Account(
    `${base}-nodes`,
    { accountId: gcpAccountId(base, "nodes"), displayName: `${base} GKE nodes`, project },
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

  return config.nodePools.map(
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
            // The control-plane firewall rule targets nodes by this tag.
            tags: [nodeTag(base)],
            resourceLabels: tags,
          },
        },
        { ...after(ctx, ...nodeRoles), ignoreChanges: ["initialNodeCount"] },
      ),
  );
}
