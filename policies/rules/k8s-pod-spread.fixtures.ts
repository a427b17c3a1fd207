import { type RuleFixtures, mut, pod, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "zone spread", resources: [dep("router", D)] },
    {
      name: "anti-affinity only",
      resources: [
        dep(
          "router",
          mut(D, (d) => {
            delete pod(d).topologySpreadConstraints;
            pod(d).affinity = {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      topologyKey: "kubernetes.io/hostname",
                      labelSelector: { matchLabels: { a: "b" } },
                    },
                  },
                ],
              },
            };
          }),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "no spread",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete pod(d).topologySpreadConstraints),
        ),
      ],
    },
  ],
};
