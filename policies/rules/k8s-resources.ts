import {
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_SPEC,
  containersOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

const NEEDED = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

export const k8sResources = resourceRule({
  id: "k8s-resources",
  description: "Every container declares CPU and memory requests and limits.",
  severity: "medium",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Set appropriate resource limits"' },
    { seed: "core", item: 'OPA Gatekeeper: "Resource limits required"' },
    { seed: "costops", item: 'Best Practices: "Configure resource limits" appropriate to your workload' },
  ],
  remediation:
    "Set resources.requests.{cpu,memory} and resources.limits.{cpu,memory} on every container and init container.",
  types: WORKLOAD_TYPES,
  check(props, _o, args) {
    const out: string[] = [];
    for (const { c, label } of containersOf(podSpecOf(args.type, props))) {
      const missing = NEEDED.filter((p) => {
        const [k, r] = p.split(".") as [string, string];
        const v = c?.resources?.[k]?.[r];
        return v === undefined || v === null || v === "";
      });
      if (missing.length) out.push(`${label} has no resources.${missing.join(", resources.")}.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsResources",
    match: WORKLOAD_MATCH,
    parameters: {},
    params: () => ({}),
    variables: [CEL_POD_SPEC, CEL_CONTAINERS, CEL_ALL_CONTAINERS],
    validations: [
      {
        expression:
          "variables.allContainers.all(c, has(c.resources) && has(c.resources.requests) && has(c.resources.limits) && " +
          "'cpu' in c.resources.requests && 'memory' in c.resources.requests && " +
          "'cpu' in c.resources.limits && 'memory' in c.resources.limits)",
        messageExpression:
          "'containers without cpu/memory requests and limits: ' + variables.allContainers.filter(c, " +
          "!(has(c.resources) && has(c.resources.requests) && has(c.resources.limits) && " +
          "'cpu' in c.resources.requests && 'memory' in c.resources.requests && " +
          "'cpu' in c.resources.limits && 'memory' in c.resources.limits)).map(c, c.name).join(', ')",
      },
    ],
  },
});
