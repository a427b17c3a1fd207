import { type RuleFixtures, mut, cloudSql, aurora, azurePgWithLock } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "aurora with 2 instances", resources: aurora(2) },
    {
      name: "cloud sql regional",
      resources: [res("gcp:sql/databaseInstance:DatabaseInstance", "db", cloudSql())],
    },
    { name: "azure server with lock", resources: azurePgWithLock(true) },
  ],
  bad: [
    { name: "aurora with 1 instance", resources: aurora(1) },
    {
      name: "aurora without deletion protection",
      resources: aurora(2, (c) => (c.deletionProtection = false)),
    },
    {
      name: "cloud sql zonal",
      resources: [
        res(
          "gcp:sql/databaseInstance:DatabaseInstance",
          "db",
          mut(cloudSql(), (s) => (s.settings.availabilityType = "ZONAL")),
        ),
      ],
    },
    { name: "azure server without lock", resources: azurePgWithLock(false) },
  ],
};
