import { asArray } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const POOL = "azure-native:containerservice:AgentPool";

export const azureAksZones = resourceRule({
  id: "azure-aks-zones",
  description: "AKS node pools span >= 2 availability zones.",
  severity: "high",
  category: "reliability",
  checklist: [{ seed: "sentinel", item: 'High Availability: "Set up multi-zone deployment"' }],
  remediation:
    'Set availabilityZones: ["1", "2", "3"] on every agent pool (agentPoolProfiles and AgentPool resources).',
  types: [CLUSTER, POOL],
  options: { minZones: 2 },
  configSchema: { minZones: { type: "integer", minimum: 1 } },
  check(props, o, args) {
    const pools = args.type === CLUSTER ? asArray(props.agentPoolProfiles) : [props];
    return pools
      .filter((p) => asArray(p?.availabilityZones).length < o.minZones)
      .map(
        (p) =>
          `agent pool ${p?.name ?? args.name} spans ${asArray(p?.availabilityZones).length} zone(s); needs >= ${o.minZones}.`,
      );
  },
});
