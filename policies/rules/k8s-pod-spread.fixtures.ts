import { type RuleFixtures, pod, variant, D, dep } from "../test/builders.ts";

const own = () => ({ ...D.spec.selector.matchLabels });
const antiAffinity = (labelSelector: unknown) => (d: any) => {
  delete pod(d).topologySpreadConstraints;
  pod(d).affinity = {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            ...(labelSelector ? { labelSelector } : {}),
          },
        },
      ],
    },
  };
};
const spreadWith = (labelSelector: unknown) => (d: any) => {
  for (const t of pod(d).topologySpreadConstraints) t.labelSelector = labelSelector;
};

export const fixtures: RuleFixtures = {
  good: [
    { name: "zone spread on the app's labels", resources: [dep("router", D)] },
    {
      name: "hostname anti-affinity on the app's labels",
      resources: [variant(antiAffinity({ matchLabels: own() }))],
    },
    {
      name: "spread selector by matchExpressions",
      resources: [
        variant(
          spreadWith({
            matchExpressions: [
              { key: "app.kubernetes.io/name", operator: "In", values: ["router"] },
              { key: "app.kubernetes.io/instance", operator: "Exists" },
            ],
          }),
        ),
      ],
    },
  ],
  bad: [
    { name: "no spread", resources: [variant((d) => delete pod(d).topologySpreadConstraints)] },
    {
      name: "anti-affinity selecting another app's pods",
      resources: [variant(antiAffinity({ matchLabels: { "app.kubernetes.io/name": "cost-api" } }))],
    },
    { name: "anti-affinity with an empty selector", resources: [variant(antiAffinity({}))] },
    { name: "anti-affinity without a selector", resources: [variant(antiAffinity(undefined))] },
    {
      name: "spread constraints selecting another app's pods",
      resources: [variant(spreadWith({ matchLabels: { "app.kubernetes.io/name": "sentinel" } }))],
    },
    {
      name: "spread selector excluding the app by NotIn",
      resources: [
        variant(
          spreadWith({
            matchExpressions: [{ key: "app.kubernetes.io/name", operator: "NotIn", values: ["router"] }],
          }),
        ),
      ],
    },
  ],
};
