import { type RuleFixtures, mut, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment with 3 replicas", resources: [dep("router", D)] },
    { name: "hpa minReplicas 3", resources: [res(T.hpa, "router", F.hpa())] },
    { name: "scaledobject min 3", resources: [res(T.so, "cost-api", F.scaledObject())] },
  ],
  bad: [
    {
      name: "deployment with 1 replica",
      resources: [
        dep(
          "router",
          mut(D, (d) => (d.spec.replicas = 1)),
        ),
      ],
    },
    {
      name: "deployment without replicas",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete d.spec.replicas),
        ),
      ],
    },
    {
      name: "hpa minReplicas 2",
      resources: [
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => (h.spec.minReplicas = 2)),
        ),
      ],
    },
    {
      name: "hpa without minReplicas",
      resources: [
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => delete h.spec.minReplicas),
        ),
      ],
    },
    {
      name: "scaledobject scale to zero",
      resources: [
        res(
          T.so,
          "cost-api",
          mut(F.scaledObject(), (s) => delete s.spec.minReplicaCount),
        ),
      ],
    },
  ],
};
