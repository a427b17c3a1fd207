import { labelsOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const ENFORCE = "pod-security.kubernetes.io/enforce";

export const k8sNamespacePodSecurity = resourceRule({
  id: "k8s-namespace-pod-security",
  description:
    "Namespaces enforce Pod Security Standards: restricted for workloads, baseline at most for platform " +
    "components, privileged only for the listed node-agent namespaces.",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Enable Pod Security Standards"' },
    {
      seed: "core",
      item: 'Pod Security Standards: "Restricted policy for application workloads", "Baseline policy for infrastructure components"',
    },
  ],
  remediation:
    "Label the Namespace pod-security.kubernetes.io/enforce=restricted (baseline for platform namespaces " +
    "listed in baselineNamespaces) plus matching audit/warn labels.",
  types: ["kubernetes:core/v1:Namespace"],
  options: {
    baselineNamespaces: [] as string[],
    privilegedNamespaces: ["kube-system"] as string[],
  },
  configSchema: {
    baselineNamespaces: { type: "array", items: { type: "string" } },
    privilegedNamespaces: { type: "array", items: { type: "string" } },
  },
  check(props, o) {
    const name = props.metadata?.name ?? "";
    const level = labelsOf(props)[ENFORCE];
    const allowed = o.privilegedNamespaces.includes(name)
      ? ["restricted", "baseline", "privileged"]
      : o.baselineNamespaces.includes(name)
        ? ["restricted", "baseline"]
        : ["restricted"];
    if (!level) return [`Namespace ${name} has no ${ENFORCE} label.`];
    return allowed.includes(level)
      ? []
      : [`Namespace ${name} enforces "${level}"; allowed: ${allowed.join(", ")}.`];
  },
  gatekeeper: {
    kind: "LlmopsNamespacePodSecurity",
    match: [{ apiGroups: [""], kinds: ["Namespace"] }],
    parameters: {
      baselineNamespaces: { type: "array", items: { type: "string" } },
      privilegedNamespaces: { type: "array", items: { type: "string" } },
    },
    params: (c) => ({
      baselineNamespaces: c.baselineNamespaces,
      privilegedNamespaces: c.privilegedNamespaces,
    }),
    variables: [
      {
        name: "level",
        expression:
          "has(variables.anyObject.metadata.labels) && 'pod-security.kubernetes.io/enforce' in variables.anyObject.metadata.labels " +
          "? variables.anyObject.metadata.labels['pod-security.kubernetes.io/enforce'] : ''",
      },
      {
        name: "allowed",
        expression:
          "variables.anyObject.metadata.name in variables.params.privilegedNamespaces ? ['restricted', 'baseline', 'privileged'] : " +
          "(variables.anyObject.metadata.name in variables.params.baselineNamespaces ? ['restricted', 'baseline'] : ['restricted'])",
      },
    ],
    validations: [
      {
        expression: "variables.level in variables.allowed",
        messageExpression:
          "'namespace ' + variables.anyObject.metadata.name + ' must enforce one of ' + variables.allowed.join(', ') + " +
          "' via pod-security.kubernetes.io/enforce (has \"' + variables.level + '\")'",
      },
    ],
  },
});
