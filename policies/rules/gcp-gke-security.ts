import { resourceRule } from "./types.ts";

const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";

export const gcpGkeSecurity = resourceRule({
  id: "gcp-gke-security",
  description:
    "GKE clusters use private nodes, Workload Identity and shielded nodes; node pools use the GKE metadata server and secure boot.",
  severity: "critical",
  category: "security",
  checklist: [
    {
      seed: "core",
      item: 'Prerequisites > GCP (GKE); Security > Best Practices "Enable RBAC", "Use least-privilege service accounts"',
    },
    { seed: "sentinel", item: 'Security: "Enable RBAC with minimal permissions"' },
  ],
  remediation:
    "Set privateClusterConfig.enablePrivateNodes: true, workloadIdentityConfig.workloadPool: <project>.svc.id.goog, " +
    "enableShieldedNodes: true; on node pools nodeConfig.workloadMetadataConfig.mode: GKE_METADATA and " +
    "nodeConfig.shieldedInstanceConfig {enableSecureBoot: true, enableIntegrityMonitoring: true}.",
  types: [CLUSTER, POOL],
  check(props, _o, args) {
    const out: string[] = [];
    const node = props.nodeConfig;
    if (args.type === CLUSTER) {
      if (props.privateClusterConfig?.enablePrivateNodes !== true)
        out.push("privateClusterConfig.enablePrivateNodes is not true.");
      if (!props.workloadIdentityConfig?.workloadPool)
        out.push("Workload Identity is off (workloadIdentityConfig.workloadPool unset).");
      if (props.enableShieldedNodes !== true) out.push("enableShieldedNodes is not true.");
      if (
        !props.enableAutopilot &&
        !props.networkPolicy?.enabled &&
        props.datapathProvider !== "ADVANCED_DATAPATH"
      )
        out.push(
          "network policy enforcement is off (networkPolicy.enabled or datapathProvider ADVANCED_DATAPATH).",
        );
    }
    // A cluster's default node config (when it keeps its default pool) and every node pool.
    if (args.type === POOL || (node && props.removeDefaultNodePool !== true)) {
      if (node?.workloadMetadataConfig?.mode !== "GKE_METADATA")
        out.push("nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA.");
      if (node?.shieldedInstanceConfig?.enableSecureBoot !== true)
        out.push("nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true.");
    }
    return out;
  },
});
