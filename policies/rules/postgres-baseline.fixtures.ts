import { type RuleFixtures, mut, cloudSql, azPg } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "aurora encrypted, 14d backups", resources: [res(T.rds, "db", F.rdsCluster())] },
    {
      name: "cloud sql private",
      resources: [res("gcp:sql/databaseInstance:DatabaseInstance", "db", cloudSql())],
    },
    {
      name: "azure flexible server private",
      resources: [res("azure-native:dbforpostgresql:Server", "db", azPg())],
    },
  ],
  bad: [
    {
      name: "unencrypted",
      resources: [
        res(
          T.rds,
          "db",
          mut(F.rdsCluster(), (c) => (c.storageEncrypted = false)),
        ),
      ],
    },
    {
      name: "1 day backups",
      resources: [
        res(
          T.rds,
          "db",
          mut(F.rdsCluster(), (c) => (c.backupRetentionPeriod = 1)),
        ),
      ],
    },
    {
      name: "public instance",
      resources: [
        res(
          T.rdsi,
          "db-1",
          mut(F.rdsInstance(1), (i) => (i.publiclyAccessible = true)),
        ),
      ],
    },
    {
      name: "cloud sql public ip",
      resources: [
        res(
          "gcp:sql/databaseInstance:DatabaseInstance",
          "db",
          mut(cloudSql(), (s) => (s.settings.ipConfiguration.ipv4Enabled = true)),
        ),
      ],
    },
    {
      name: "azure flexible server public",
      resources: [
        res(
          "azure-native:dbforpostgresql:Server",
          "db",
          mut(azPg(), (s) => (s.network = { publicNetworkAccess: "Enabled" })),
        ),
      ],
    },
  ],
};
