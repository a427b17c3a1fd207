import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "pinned https chart", resources: [res(T.helm, "kps", F.promStack())] },
    {
      name: "oci chart",
      resources: [
        res(T.helm, "x", {
          ...F.gatekeeperRelease(),
          chart: "oci://ghcr.io/charts/x",
          repositoryOpts: undefined,
        }),
      ],
    },
  ],
  bad: [
    {
      name: "version range",
      resources: [
        res(
          T.helm,
          "kps",
          mut(F.promStack(), (r) => (r.version = "^88.0.0")),
        ),
      ],
    },
    {
      name: "no version",
      resources: [
        res(
          T.helm,
          "kps",
          mut(F.promStack(), (r) => delete r.version),
        ),
      ],
    },
    {
      name: "http repo",
      resources: [
        res(
          T.helm,
          "kps",
          mut(F.promStack(), (r) => (r.repositoryOpts.repo = "http://charts.example.com")),
        ),
      ],
    },
  ],
};
