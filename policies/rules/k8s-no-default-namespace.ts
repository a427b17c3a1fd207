import { isNamespaced, nsOf, WORKLOAD_MATCH } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sNoDefaultNamespace = resourceRule({
  id: "k8s-no-default-namespace",
  description:
    "Namespaced objects live in a namespace the stack manages, never 'default': an object without " +
    "metadata.namespace lands in the Kubernetes provider's namespace, 'default' unless the provider sets one. " +
    "The default namespace has no Pod Security label, default-deny policy or quota of the stack's making. As " +
    "Polaris's and kube-score's namespace checks, but also for objects that omit the namespace.",
  severity: "medium",
  category: "security",
  checklist: [
    { seed: "core", item: 'Network Policies: "Namespace isolation"' },
    { seed: "core", item: 'Security > Network Policies: "All namespaces have default deny-all"' },
  ],
  remediation:
    "Set metadata.namespace on every namespaced object (or the provider's namespace) to the app or platform " +
    "namespace the stack creates with its Pod Security labels and default-deny NetworkPolicy.",
  types: isNamespaced,
  options: { forbiddenNamespaces: ["default"] as string[] },
  configSchema: { forbiddenNamespaces: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const ns = nsOf(props, args.provider);
    if (!o.forbiddenNamespaces.includes(ns)) return [];
    return [
      props.metadata?.namespace
        ? `object is in the ${ns} namespace.`
        : `object sets no metadata.namespace, so it lands in the ${ns} namespace.`,
    ];
  },
  gatekeeper: {
    kind: "LlmopsNoDefaultNamespace",
    // Kinds the stack declares; not Services, ConfigMaps, ServiceAccounts or Secrets, which Kubernetes itself
    // keeps in 'default' (the kubernetes Service, kube-root-ca.crt, the default ServiceAccount).
    match: [
      ...WORKLOAD_MATCH,
      { apiGroups: ["policy"], kinds: ["PodDisruptionBudget"] },
      { apiGroups: ["autoscaling"], kinds: ["HorizontalPodAutoscaler"] },
      { apiGroups: ["networking.k8s.io"], kinds: ["NetworkPolicy", "Ingress"] },
      { apiGroups: ["gateway.networking.k8s.io"], kinds: ["Gateway", "HTTPRoute"] },
      { apiGroups: ["rbac.authorization.k8s.io"], kinds: ["Role", "RoleBinding"] },
      { apiGroups: ["keda.sh"], kinds: ["ScaledObject"] },
    ],
    parameters: { forbiddenNamespaces: { type: "array", items: { type: "string" } } },
    params: (c) => ({ forbiddenNamespaces: c.forbiddenNamespaces }),
    validations: [
      {
        expression:
          "!((has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace : 'default') " +
          "in variables.params.forbiddenNamespaces)",
        messageExpression:
          "variables.anyObject.kind + ' ' + variables.anyObject.metadata.name + ' must not be created in the ' + " +
          "(has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace : 'default') + ' namespace'",
      },
    ],
  },
});
