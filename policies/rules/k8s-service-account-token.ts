import { CEL_POD_SPEC, nameOf, nsOf, podSpecOf, WORKLOAD_MATCH, WORKLOAD_TYPES } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const SA = "kubernetes:core/v1:ServiceAccount";

export const k8sServiceAccountToken = resourceRule({
  id: "k8s-service-account-token",
  description:
    "Workload pods run under their own ServiceAccount (never 'default') with automountServiceAccountToken: " +
    "false, and no ServiceAccount turns automounting on, so a compromised container holds no API token. Like " +
    "Kyverno's restrict-automount-sa-token it requires the pod-level false (a pod's true overrides the " +
    "ServiceAccount's false); pods that call the API are listed in exempt (namespace/name) and mount a " +
    "projected token explicitly.",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Enable RBAC with minimal permissions"' },
    { seed: "core", item: 'Security > Enable RBAC: "Use least-privilege service accounts"' },
  ],
  remediation:
    "Give each workload its own ServiceAccount (serviceAccountName), set automountServiceAccountToken: false " +
    "on the pod spec and on the ServiceAccount; a workload that must call the Kubernetes API goes in exempt " +
    "and mounts a short-lived projected serviceAccountToken volume.",
  types: [...WORKLOAD_TYPES, SA],
  options: { exempt: [] as string[] },
  configSchema: { exempt: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    if (args.type === SA)
      return props.automountServiceAccountToken === true
        ? ["ServiceAccount sets automountServiceAccountToken: true."]
        : [];
    if (o.exempt.includes(`${nsOf(props)}/${nameOf(props, args.name)}`)) return [];
    const pod = podSpecOf(args.type, props) ?? {};
    const out: string[] = [];
    if (pod.automountServiceAccountToken !== false)
      out.push("pod does not set automountServiceAccountToken: false.");
    const sa = pod.serviceAccountName ?? pod.serviceAccount;
    if (!sa || sa === "default") out.push("pod runs under the namespace's default ServiceAccount.");
    return out;
  },
  gatekeeper: {
    kind: "LlmopsServiceAccountToken",
    match: [...WORKLOAD_MATCH, { apiGroups: [""], kinds: ["ServiceAccount"] }],
    parameters: { exempt: { type: "array", items: { type: "string" } } },
    params: (c) => ({ exempt: c.exempt }),
    variables: [
      CEL_POD_SPEC,
      {
        name: "exempt",
        expression:
          "(has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace : 'default') + '/' + " +
          "variables.anyObject.metadata.name in variables.params.exempt",
      },
      {
        name: "sa",
        expression:
          "has(variables.podSpec.serviceAccountName) ? variables.podSpec.serviceAccountName : " +
          "(has(variables.podSpec.serviceAccount) ? variables.podSpec.serviceAccount : '')",
      },
    ],
    validations: [
      {
        expression:
          "variables.anyObject.kind != 'ServiceAccount' || !has(variables.anyObject.automountServiceAccountToken) || " +
          "variables.anyObject.automountServiceAccountToken == false",
        message: "ServiceAccount sets automountServiceAccountToken: true",
      },
      {
        expression:
          "variables.anyObject.kind == 'ServiceAccount' || variables.exempt || " +
          "(has(variables.podSpec.automountServiceAccountToken) && variables.podSpec.automountServiceAccountToken == false)",
        message: "pod must set automountServiceAccountToken: false",
      },
      {
        expression:
          "variables.anyObject.kind == 'ServiceAccount' || variables.exempt || !(variables.sa in ['', 'default'])",
        message: "pod must run under its own ServiceAccount, not the namespace's default",
      },
    ],
  },
});
