import { HPA_TYPES, SCALED_OBJECT_TYPES, SCALABLE_TYPES } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sMinReplicas = resourceRule({
  id: "k8s-min-replicas",
  description:
    "Deployments and StatefulSets run at least minReplicas pods; HPA and KEDA floors are no lower.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Run at least 3 replicas"' },
    { seed: "sentinel", item: 'High Availability: "Configure automatic scaling (HPA)"' },
  ],
  remediation:
    "Set spec.replicas >= 3 on the Deployment/StatefulSet, and minReplicas (HPA) / minReplicaCount (KEDA " +
    "ScaledObject) >= 3 so autoscaling never shrinks the service below the HA floor.",
  types: [...SCALABLE_TYPES, ...HPA_TYPES, ...SCALED_OBJECT_TYPES],
  options: { minReplicas: 3 },
  configSchema: { minReplicas: { type: "integer", minimum: 1 } },
  check(props, { minReplicas }, args) {
    const kind = args.type.split(":")[2];
    if (HPA_TYPES.includes(args.type)) {
      const v = props.spec?.minReplicas ?? 1;
      return v < minReplicas ? [`HorizontalPodAutoscaler minReplicas is ${v}; needs >= ${minReplicas}.`] : [];
    }
    if (SCALED_OBJECT_TYPES.includes(args.type)) {
      const v = props.spec?.minReplicaCount ?? 0;
      return v < minReplicas ? [`ScaledObject minReplicaCount is ${v}; needs >= ${minReplicas}.`] : [];
    }
    const v = props.spec?.replicas ?? 1;
    return v < minReplicas ? [`${kind} replicas is ${v}; needs >= ${minReplicas}.`] : [];
  },
  gatekeeper: {
    kind: "LlmopsMinReplicas",
    match: [
      { apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet"] },
      { apiGroups: ["autoscaling"], kinds: ["HorizontalPodAutoscaler"] },
      { apiGroups: ["keda.sh"], kinds: ["ScaledObject"] },
    ],
    parameters: { minReplicas: { type: "integer" } },
    params: (c) => ({ minReplicas: c.minReplicas }),
    variables: [
      {
        name: "replicas",
        expression:
          "variables.anyObject.kind == 'HorizontalPodAutoscaler' ? " +
          "(has(variables.anyObject.spec.minReplicas) ? variables.anyObject.spec.minReplicas : 1) : " +
          "(variables.anyObject.kind == 'ScaledObject' ? " +
          "(has(variables.anyObject.spec.minReplicaCount) ? variables.anyObject.spec.minReplicaCount : 0) : " +
          "(has(variables.anyObject.spec.replicas) ? variables.anyObject.spec.replicas : 1))",
      },
    ],
    validations: [
      {
        expression: "variables.replicas >= variables.params.minReplicas",
        messageExpression:
          "variables.anyObject.kind + ' ' + variables.anyObject.metadata.name + ' has a replica floor of ' + " +
          "string(variables.replicas) + '; needs >= ' + string(variables.params.minReplicas)",
      },
    ],
  },
});
