import { CEL_CONTAINERS, CEL_POD_SPEC, containersOf, podSpecOf, SERVING_TYPES } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sProbes = resourceRule({
  id: "k8s-probes",
  description:
    "Every container of a long-running workload has a liveness and a readiness probe. Looser than kube-score " +
    "by design: identical liveness and readiness probes are accepted (the services expose one health endpoint).",
  severity: "medium",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure liveness and readiness probes"' },
    { seed: "router", item: '"Validate health checks"' },
  ],
  remediation:
    "Add livenessProbe (GET /health) and readinessProbe (GET /ready) on the http port to every container of " +
    "the Deployment/StatefulSet/DaemonSet.",
  types: SERVING_TYPES,
  check(props, _o, args) {
    const out: string[] = [];
    for (const { c, label } of containersOf(podSpecOf(args.type, props), false)) {
      const missing = ["livenessProbe", "readinessProbe"].filter((p) => !c?.[p]);
      if (missing.length) out.push(`${label} has no ${missing.join(" or ")}.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsProbes",
    match: [{ apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet", "DaemonSet"] }],
    parameters: {},
    params: () => ({}),
    variables: [CEL_POD_SPEC, CEL_CONTAINERS],
    validations: [
      {
        expression: "variables.containers.all(c, has(c.livenessProbe) && has(c.readinessProbe))",
        messageExpression:
          "'containers without liveness/readiness probes: ' + variables.containers.filter(c, " +
          "!has(c.livenessProbe) || !has(c.readinessProbe)).map(c, c.name).join(', ')",
      },
    ],
  },
});
