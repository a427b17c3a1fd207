import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "minAvailable 2", resources: [res(T.pdb, "router", F.pdb())] }],
  bad: [
    {
      name: "minAvailable 1",
      resources: [
        res(
          T.pdb,
          "router",
          mut(F.pdb(), (p) => (p.spec.minAvailable = 1)),
        ),
      ],
    },
    {
      name: "maxUnavailable 0",
      resources: [
        res(
          T.pdb,
          "router",
          mut(F.pdb(), (p) => {
            delete p.spec.minAvailable;
            p.spec.maxUnavailable = 0;
          }),
        ),
      ],
    },
    {
      name: "minAvailable 100%",
      resources: [
        res(
          T.pdb,
          "router",
          mut(F.pdb(), (p) => (p.spec.minAvailable = "100%")),
        ),
      ],
    },
  ],
};
