import { asArray, celSelects, podSpecOf, SCALABLE_TYPES, selectorMatches } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const KEYS = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"];

/** A selector that names something and selects the workload's own pods (an empty one selects every pod). */
function selectsOwn(sel: any, podLabels: Record<string, string>): boolean {
  const named = Object.keys(sel?.matchLabels ?? {}).length > 0 || asArray(sel?.matchExpressions).length > 0;
  return named && selectorMatches(sel, podLabels);
}

export const k8sPodSpread = resourceRule({
  id: "k8s-pod-spread",
  description:
    "Replicated workloads spread their own pods across zones/nodes: a zone/hostname topologySpreadConstraint " +
    "or pod anti-affinity term whose labelSelector selects the workload's pod labels (a selector matching " +
    "another app's pods spreads nothing). As kube-score's anti-affinity check, but for spread constraints and " +
    "zone terms too; stricter than kube-score by design in refusing an empty selector (it counts every pod in " +
    "the namespace), and than Polaris, which only checks that a spread constraint exists.",
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
    "or a podAntiAffinity on kubernetes.io/hostname, with a labelSelector on the app's own pod labels " +
    "(app.kubernetes.io/name and instance).",
  types: SCALABLE_TYPES,
  check(props, _o, args) {
    const pod = podSpecOf(args.type, props) ?? {};
    const podLabels = props.spec?.template?.metadata?.labels ?? {};
    const aa = pod.affinity?.podAntiAffinity ?? {};
    const terms = [
      ...asArray(pod.topologySpreadConstraints),
      ...asArray(aa.requiredDuringSchedulingIgnoredDuringExecution),
      ...asArray(aa.preferredDuringSchedulingIgnoredDuringExecution).map((t) => t?.podAffinityTerm),
    ].filter((t) => KEYS.includes(t?.topologyKey));
    if (terms.some((t) => selectsOwn(t.labelSelector, podLabels))) return [];
    return terms.length
      ? [
          "zone/hostname spread terms do not select the workload's own pods (labelSelector), so they spread nothing.",
        ]
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
      {
        name: "podLabels",
        expression:
          "has(variables.anyObject.spec.template.metadata) && has(variables.anyObject.spec.template.metadata.labels) ? " +
          "variables.anyObject.spec.template.metadata.labels : {}",
      },
      {
        name: "aa",
        expression:
          "has(variables.podSpec.affinity) && has(variables.podSpec.affinity.podAntiAffinity) ? " +
          "variables.podSpec.affinity.podAntiAffinity : {}",
      },
      {
        name: "terms",
        expression:
          "((has(variables.podSpec.topologySpreadConstraints) ? variables.podSpec.topologySpreadConstraints : []) + " +
          "(has(variables.aa.requiredDuringSchedulingIgnoredDuringExecution) ? " +
          "variables.aa.requiredDuringSchedulingIgnoredDuringExecution : []) + " +
          "(has(variables.aa.preferredDuringSchedulingIgnoredDuringExecution) ? " +
          "variables.aa.preferredDuringSchedulingIgnoredDuringExecution.map(p, p.podAffinityTerm) : []))" +
          ".filter(t, has(t.topologyKey) && t.topologyKey in variables.keys)",
      },
    ],
    validations: [
      {
        expression:
          "variables.terms.exists(t, has(t.labelSelector) && ((has(t.labelSelector.matchLabels) && " +
          "size(t.labelSelector.matchLabels) > 0) || (has(t.labelSelector.matchExpressions) && " +
          `size(t.labelSelector.matchExpressions) > 0)) && ${celSelects("t.labelSelector", "variables.podLabels")})`,
        message:
          "pods are not spread: add zone/hostname topologySpreadConstraints or podAntiAffinity whose labelSelector " +
          "selects the workload's own pods",
      },
    ],
  },
});
