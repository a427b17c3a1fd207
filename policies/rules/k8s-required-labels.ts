import { isKubernetesObject, kindOfType, LABELLED_MATCH, labelsOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const RECOMMENDED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/version",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
  "environment",
];

export const k8sRequiredLabels = resourceRule({
  id: "k8s-required-labels",
  description:
    "Every Kubernetes object carries the recommended app.kubernetes.io/* labels and an environment label.",
  severity: "low",
  category: "security",
  checklist: [
    { seed: "core", item: 'OPA Gatekeeper: "Required labels"' },
    { seed: "sentinel", item: 'Configuration: "Use environment-specific configs"' },
  ],
  remediation:
    "Add metadata.labels app.kubernetes.io/{name,instance,version,component,part-of,managed-by} and environment " +
    "(use the shared label helper so every object gets the same set).",
  types: (t) => isKubernetesObject(t),
  options: { labels: RECOMMENDED_LABELS },
  configSchema: { labels: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const l = labelsOf(props);
    const missing = o.labels.filter((k) => typeof l[k] !== "string" || l[k] === "");
    return missing.length ? [`${kindOfType(args.type)} is missing labels: ${missing.join(", ")}.`] : [];
  },
  gatekeeper: {
    kind: "LlmopsRequiredLabels",
    match: LABELLED_MATCH,
    parameters: { labels: { type: "array", items: { type: "string" } } },
    params: (c) => ({ labels: c.labels }),
    validations: [
      {
        expression:
          "variables.params.labels.all(k, has(variables.anyObject.metadata.labels) && " +
          "k in variables.anyObject.metadata.labels && variables.anyObject.metadata.labels[k] != '')",
        messageExpression:
          "'missing labels: ' + variables.params.labels.filter(k, !(has(variables.anyObject.metadata.labels) && " +
          "k in variables.anyObject.metadata.labels && variables.anyObject.metadata.labels[k] != '')).join(', ')",
      },
    ],
  },
});
