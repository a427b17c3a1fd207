import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "hpa 3..12", resources: [res(T.hpa, "router", F.hpa())] },
    { name: "scaledobject 3..10", resources: [res(T.so, "cost-api", F.scaledObject())] },
    {
      name: "scaledobject with the default maximum (100)",
      resources: [
        res(
          T.so,
          "cost-api",
          mut(F.scaledObject(), (s) => delete s.spec.maxReplicaCount),
        ),
      ],
    },
    {
      name: "autoscaling/v1 hpa 3..12",
      resources: [
        res(
          "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
          "router",
          mut(F.hpa(), (h) => {
            h.apiVersion = "autoscaling/v1";
            delete h.spec.metrics;
            h.spec.targetCPUUtilizationPercentage = 70;
          }),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "hpa max equal to min",
      resources: [
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => (h.spec.maxReplicas = 3)),
        ),
      ],
    },
    {
      name: "hpa max below min",
      resources: [
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => (h.spec.maxReplicas = 2)),
        ),
      ],
    },
    {
      name: "hpa max 1 with the default min 1",
      resources: [
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => {
            delete h.spec.minReplicas;
            h.spec.maxReplicas = 1;
          }),
        ),
      ],
    },
    {
      name: "scaledobject max equal to min",
      resources: [
        res(
          T.so,
          "cost-api",
          mut(F.scaledObject(), (s) => (s.spec.maxReplicaCount = 3)),
        ),
      ],
    },
    {
      name: "scaledobject min 100 with the default maximum",
      resources: [
        res(
          T.so,
          "cost-api",
          mut(F.scaledObject(), (s) => {
            s.spec.minReplicaCount = 100;
            delete s.spec.maxReplicaCount;
          }),
        ),
      ],
    },
  ],
};
