import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "30d, HA", resources: [res(T.helm, "kps", F.promStack())] },
    { name: "other chart is not applicable", resources: [res(T.helm, "loki", F.loki())] },
  ],
  bad: [
    {
      name: "default retention",
      resources: [
        res(
          T.helm,
          "kps",
          mut(F.promStack(), (r) => delete r.values.prometheus.prometheusSpec.retention),
        ),
      ],
    },
    {
      name: "single alertmanager",
      resources: [
        res(
          T.helm,
          "kps",
          mut(F.promStack(), (r) => (r.values.alertmanager.alertmanagerSpec.replicas = 1)),
        ),
      ],
    },
  ],
};
