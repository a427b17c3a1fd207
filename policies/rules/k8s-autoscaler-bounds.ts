import { HPA_TYPES, SCALED_OBJECT_TYPES, scalerOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sAutoscalerBounds = resourceRule({
  id: "k8s-autoscaler-bounds",
  description:
    "HorizontalPodAutoscalers and ScaledObjects leave room to scale: the maximum is above the minimum (API " +
    "defaults: HPA min 1; KEDA min 0, max 100). max <= min pins the workload at one size, so the autoscaler " +
    "does nothing under load.",
  severity: "medium",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure automatic scaling (HPA)"' },
    { seed: "router", item: '"Test scaling behavior"' },
  ],
  remediation:
    "Set maxReplicas (HPA) / maxReplicaCount (ScaledObject) above the minimum, sized for peak load; if a fixed " +
    "size is wanted, drop the autoscaler and set spec.replicas.",
  types: [...HPA_TYPES, ...SCALED_OBJECT_TYPES],
  check(props, _o, args) {
    const s = scalerOf(args.type, props);
    return s.max !== undefined && s.max > s.min
      ? []
      : [`maximum ${s.max ?? "(unset)"} is not above minimum ${s.min}.`];
  },
  gatekeeper: {
    kind: "LlmopsAutoscalerBounds",
    match: [
      { apiGroups: ["autoscaling"], kinds: ["HorizontalPodAutoscaler"] },
      { apiGroups: ["keda.sh"], kinds: ["ScaledObject"] },
    ],
    parameters: {},
    params: () => ({}),
    variables: [
      {
        name: "bounds",
        expression:
          "variables.anyObject.kind == 'ScaledObject' ? [" +
          "has(variables.anyObject.spec.minReplicaCount) ? variables.anyObject.spec.minReplicaCount : 0, " +
          "has(variables.anyObject.spec.maxReplicaCount) ? variables.anyObject.spec.maxReplicaCount : 100] : [" +
          "has(variables.anyObject.spec.minReplicas) ? variables.anyObject.spec.minReplicas : 1, " +
          "has(variables.anyObject.spec.maxReplicas) ? variables.anyObject.spec.maxReplicas : 0]",
      },
    ],
    validations: [
      {
        expression: "variables.bounds[1] > variables.bounds[0]",
        messageExpression:
          "variables.anyObject.kind + ' ' + variables.anyObject.metadata.name + ' maximum ' + string(variables.bounds[1]) + " +
          "' is not above minimum ' + string(variables.bounds[0])",
      },
    ],
  },
});
