import { asArray, podSpecOf, SCALABLE_TYPES } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const KEYS = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"];

export const k8sPodSpread = resourceRule({
  id: "k8s-pod-spread",
  description:
    "Replicated workloads spread pods across zones/nodes (topologySpreadConstraints or pod anti-affinity).",
  severity: "medium",
  category: "reliability",
  checklist: [
    {
      seed: "sentinel",
      item: 'High Availability: "Use topology spread constraints", "Use Pod anti-affinity rules"',
    },
    { seed: "sentinel", item: 'High Availability: "Set up multi-zone deployment"' },
  ],
  remediation:
    "Add spec.template.spec.topologySpreadConstraints on topology.kubernetes.io/zone (and kubernetes.io/hostname) " +
    "with the app's labelSelector, or a podAntiAffinity on kubernetes.io/hostname.",
  types: SCALABLE_TYPES,
  check(props, _o, args) {
    const pod = podSpecOf(args.type, props) ?? {};
    const tsc = asArray(pod.topologySpreadConstraints).some((t) => KEYS.includes(t?.topologyKey));
    const aa = pod.affinity?.podAntiAffinity ?? {};
    const anti =
      asArray(aa.requiredDuringSchedulingIgnoredDuringExecution).some((t) => KEYS.includes(t?.topologyKey)) ||
      asArray(aa.preferredDuringSchedulingIgnoredDuringExecution).some((t) =>
        KEYS.includes(t?.podAffinityTerm?.topologyKey),
      );
    return tsc || anti
      ? []
      : ["pods are not spread: no zone/hostname topologySpreadConstraints or podAntiAffinity."];
  },
  gatekeeper: {
    kind: "LlmopsPodSpread",
    match: [{ apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet"] }],
    parameters: {},
    params: () => ({}),
    variables: [
      { name: "podSpec", expression: "variables.anyObject.spec.template.spec" },
      { name: "keys", expression: JSON.stringify(KEYS).replace(/"/g, "'") },
    ],
    validations: [
      {
        expression:
          "(has(variables.podSpec.topologySpreadConstraints) && variables.podSpec.topologySpreadConstraints.exists(t, " +
          "t.topologyKey in variables.keys)) || (has(variables.podSpec.affinity) && " +
          "has(variables.podSpec.affinity.podAntiAffinity) && (" +
          "(has(variables.podSpec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution) && " +
          "variables.podSpec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.exists(t, " +
          "t.topologyKey in variables.keys)) || " +
          "(has(variables.podSpec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution) && " +
          "variables.podSpec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.exists(t, " +
          "t.podAffinityTerm.topologyKey in variables.keys))))",
        message: "pods are not spread: add zone/hostname topologySpreadConstraints or podAntiAffinity",
      },
    ],
  },
});
