import { type RuleFixtures } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    {
      name: "service with monitor and rules",
      resources: [
        res(T.svc, "router", F.service()),
        res(T.sm, "router", F.serviceMonitor()),
        res(T.pr, "router", F.prometheusRule()),
      ],
    },
  ],
  bad: [
    {
      name: "service without monitor",
      resources: [res(T.svc, "router", F.service()), res(T.pr, "router", F.prometheusRule())],
    },
    {
      name: "service without rules",
      resources: [res(T.svc, "router", F.service()), res(T.sm, "router", F.serviceMonitor())],
    },
  ],
};
