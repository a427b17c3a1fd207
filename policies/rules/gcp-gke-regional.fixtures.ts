import { type RuleFixtures, mut, gke } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "regional", resources: [res("gcp:container/cluster:Cluster", "c", gke())] }],
  bad: [
    {
      name: "zonal",
      resources: [
        res(
          "gcp:container/cluster:Cluster",
          "c",
          mut(gke(), (c) => (c.location = "europe-west1-b")),
        ),
      ],
    },
  ],
};
