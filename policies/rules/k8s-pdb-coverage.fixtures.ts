import { type RuleFixtures, mut, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment with matching pdb", resources: [dep("router", D), res(T.pdb, "router", F.pdb())] },
  ],
  bad: [
    { name: "deployment without pdb", resources: [dep("router", D), res(T.pdb, "other", F.pdb("other"))] },
    {
      name: "pdb blocks all disruptions",
      resources: [
        dep("router", D),
        res(
          T.pdb,
          "router",
          mut(F.pdb(), (p) => (p.spec.minAvailable = 3)),
        ),
      ],
    },
  ],
};
