import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "3 replicas, 3.23.0", resources: [res(T.helm, "gk", F.gatekeeperRelease())] }],
  bad: [
    {
      name: "1 replica",
      resources: [
        res(
          T.helm,
          "gk",
          mut(F.gatekeeperRelease(), (r) => (r.values.replicas = 1)),
        ),
      ],
    },
    {
      name: "pre-CEL version",
      resources: [
        res(
          T.helm,
          "gk",
          mut(F.gatekeeperRelease(), (r) => (r.version = "3.16.3")),
        ),
      ],
    },
    {
      name: "CEL engine disabled",
      resources: [
        res(
          T.helm,
          "gk",
          mut(F.gatekeeperRelease(), (r) => (r.values.enableK8sNativeValidation = false)),
        ),
      ],
    },
  ],
};
