import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "hardened eks", resources: [res(T.eks, "c", F.eks())] }],
  bad: [
    {
      name: "no secrets encryption",
      resources: [
        res(
          T.eks,
          "c",
          mut(F.eks(), (c) => delete c.encryptionConfig),
        ),
      ],
    },
    {
      name: "no audit logs",
      resources: [
        res(
          T.eks,
          "c",
          mut(F.eks(), (c) => (c.enabledClusterLogTypes = ["api"])),
        ),
      ],
    },
    {
      name: "open endpoint",
      resources: [
        res(
          T.eks,
          "c",
          mut(F.eks(), (c) => delete c.vpcConfig.publicAccessCidrs),
        ),
      ],
    },
  ],
};
