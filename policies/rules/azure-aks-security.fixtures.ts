import { type RuleFixtures, mut, aks } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "hardened aks", resources: [res("azure-native:containerservice:ManagedCluster", "c", aks())] },
  ],
  bad: [
    {
      name: "local accounts on",
      resources: [
        res(
          "azure-native:containerservice:ManagedCluster",
          "c",
          mut(aks(), (c) => (c.disableLocalAccounts = false)),
        ),
      ],
    },
    {
      name: "no network policy",
      resources: [
        res(
          "azure-native:containerservice:ManagedCluster",
          "c",
          mut(aks(), (c) => delete c.networkProfile.networkPolicy),
        ),
      ],
    },
  ],
};
