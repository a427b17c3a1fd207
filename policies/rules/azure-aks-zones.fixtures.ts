import { type RuleFixtures, mut, aks } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "3 zones", resources: [res("azure-native:containerservice:ManagedCluster", "c", aks())] }],
  bad: [
    {
      name: "single zone pool",
      resources: [
        res(
          "azure-native:containerservice:ManagedCluster",
          "c",
          mut(aks(), (c) => (c.agentPoolProfiles[0].availabilityZones = ["1"])),
        ),
      ],
    },
  ],
};
