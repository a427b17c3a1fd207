import { type RuleFixtures, mut, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const hpaV1 = (name = "router") =>
  res("kubernetes:autoscaling/v1:HorizontalPodAutoscaler", name, {
    apiVersion: "autoscaling/v1",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace: "llmops", labels: F.labels(name) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: 3,
      maxReplicas: 12,
      targetCPUUtilizationPercentage: 70,
    },
  });

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment with hpa", resources: [dep("router", D), res(T.hpa, "router", F.hpa())] },
    {
      name: "deployment with scaledobject",
      resources: [dep("cost-api", F.deployment("cost-api")), res(T.so, "cost-api", F.scaledObject())],
    },
    { name: "deployment with an autoscaling/v1 hpa", resources: [dep("router", D), hpaV1()] },
  ],
  bad: [
    { name: "deployment without scaler", resources: [dep("router", D), res(T.hpa, "x", F.hpa("other"))] },
    {
      name: "hpa whose target the stack does not declare",
      resources: [dep("router", D), res(T.hpa, "router", F.hpa()), res(T.hpa, "ghost", F.hpa("ghost"))],
    },
    {
      name: "scaledobject whose target is in another namespace",
      resources: [
        dep("cost-api", F.deployment("cost-api")),
        res(T.so, "cost-api", F.scaledObject()),
        res(T.so, "cost-api-ops", F.scaledObject("cost-api", "ops")),
      ],
    },
    {
      name: "hpa naming the target with the wrong kind",
      resources: [
        dep("router", D),
        res(
          T.hpa,
          "router",
          mut(F.hpa(), (h) => (h.spec.scaleTargetRef.kind = "StatefulSet")),
        ),
      ],
    },
  ],
};
