import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "31d", resources: [res(T.helm, "loki", F.loki())] }],
  bad: [
    {
      name: "7d",
      resources: [
        res(
          T.helm,
          "loki",
          mut(F.loki(), (r) => (r.values.loki.limits_config.retention_period = "168h")),
        ),
      ],
    },
    {
      name: "compactor retention off",
      resources: [
        res(
          T.helm,
          "loki",
          mut(F.loki(), (r) => (r.values.loki.compactor.retention_enabled = false)),
        ),
      ],
    },
  ],
};
