import { type RuleFixtures, mut, vault } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "aws secret with cmk", resources: [res(T.secret, "s", F.awsSecret())] },
    {
      name: "key vault with purge protection",
      resources: [res("azure-native:keyvault:Vault", "v", vault())],
    },
    {
      name: "gcp secret with cmek",
      resources: [
        res("gcp:secretmanager/secret:Secret", "s", {
          secretId: "x",
          replication: { auto: { customerManagedEncryption: { kmsKeyName: "k" } } },
          labels: { ...F.TAGS },
        }),
      ],
    },
    {
      name: "gcp key rotated every 90 days",
      resources: [
        res("gcp:kms/cryptoKey:CryptoKey", "k", {
          name: "data",
          keyRing: "r",
          rotationPeriod: "7776000s",
          labels: { ...F.TAGS },
        }),
      ],
    },
  ],
  bad: [
    {
      name: "aws secret without cmk",
      resources: [
        res(
          T.secret,
          "s",
          mut(F.awsSecret(), (s) => delete s.kmsKeyId),
        ),
      ],
    },
    {
      name: "kms without rotation",
      resources: [
        res(
          T.kms,
          "k",
          mut(F.kmsKey(), (k) => (k.enableKeyRotation = false)),
        ),
      ],
    },
    {
      name: "key vault without purge protection",
      resources: [
        res(
          "azure-native:keyvault:Vault",
          "v",
          mut(vault(), (v) => delete v.properties.enablePurgeProtection),
        ),
      ],
    },
    {
      name: "gcp secret google-managed",
      resources: [
        res("gcp:secretmanager/secret:Secret", "s", {
          secretId: "x",
          replication: { auto: {} },
          labels: { ...F.TAGS },
        }),
      ],
    },
    {
      name: "gcp key never rotated",
      resources: [
        res("gcp:kms/cryptoKey:CryptoKey", "k", { name: "data", keyRing: "r", labels: { ...F.TAGS } }),
      ],
    },
  ],
};
