import { type RuleFixtures, mut, gke } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "private, WI, shielded", resources: [res("gcp:container/cluster:Cluster", "c", gke())] }],
  bad: [
    {
      name: "public nodes",
      resources: [
        res(
          "gcp:container/cluster:Cluster",
          "c",
          mut(gke(), (c) => (c.privateClusterConfig.enablePrivateNodes = false)),
        ),
      ],
    },
    {
      name: "no workload identity",
      resources: [
        res(
          "gcp:container/cluster:Cluster",
          "c",
          mut(gke(), (c) => delete c.workloadIdentityConfig),
        ),
      ],
    },
    {
      name: "node pool without secure boot",
      resources: [
        res("gcp:container/nodePool:NodePool", "p", {
          cluster: "c",
          nodeConfig: { workloadMetadataConfig: { mode: "GKE_METADATA" } },
        }),
      ],
    },
  ],
};
