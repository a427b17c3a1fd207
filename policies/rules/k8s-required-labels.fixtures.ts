import { type RuleFixtures, mut, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "labelled deployment", resources: [dep("router", D)] },
    { name: "labelled service", resources: [res(T.svc, "router", F.service())] },
  ],
  bad: [
    {
      name: "deployment without environment label",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete d.metadata.labels.environment),
        ),
      ],
    },
    {
      name: "configmap without labels",
      resources: [
        res(
          T.cm,
          "router-config",
          mut(F.configMap(), (c) => delete c.metadata.labels),
        ),
      ],
    },
  ],
};
