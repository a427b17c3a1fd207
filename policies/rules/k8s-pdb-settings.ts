import { PDB_TYPES } from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sPdbSettings = resourceRule({
  id: "k8s-pdb-settings",
  description:
    "PodDisruptionBudgets keep at least minAvailable pods (an integer) and never block all voluntary disruptions. " +
    "Stricter than Polaris and the Gatekeeper library by design: maxUnavailable and percentages are refused, so " +
    "the floor does not drift with the replica count.",
  severity: "medium",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure Pod Disruption Budget (min 2 available)"' },
  ],
  remediation:
    "Set spec.minAvailable to an integer >= 2 (below the replica count) and drop maxUnavailable: 0 / " +
    "minAvailable: 100%, which block node drains.",
  types: PDB_TYPES,
  options: { minAvailable: 2 },
  configSchema: { minAvailable: { type: "integer", minimum: 1 } },
  check(props, o) {
    const s = props.spec ?? {};
    const out: string[] = [];
    if (s.maxUnavailable !== undefined) {
      if (s.maxUnavailable === 0 || s.maxUnavailable === "0%" || s.maxUnavailable === "0")
        out.push("maxUnavailable 0 allows no voluntary disruption (blocks node drains).");
      else out.push(`uses maxUnavailable; set minAvailable >= ${o.minAvailable} instead.`);
    } else if (typeof s.minAvailable !== "number") {
      out.push(
        s.minAvailable === "100%"
          ? "minAvailable 100% allows no voluntary disruption (blocks node drains)."
          : `minAvailable must be an integer >= ${o.minAvailable} (is ${JSON.stringify(s.minAvailable)}).`,
      );
    } else if (s.minAvailable < o.minAvailable)
      out.push(`minAvailable is ${s.minAvailable}; needs >= ${o.minAvailable}.`);
    return out;
  },
  gatekeeper: {
    kind: "LlmopsPdbSettings",
    match: [{ apiGroups: ["policy"], kinds: ["PodDisruptionBudget"] }],
    parameters: { minAvailable: { type: "integer" } },
    params: (c) => ({ minAvailable: c.minAvailable }),
    validations: [
      {
        expression:
          "!has(variables.anyObject.spec.maxUnavailable) && has(variables.anyObject.spec.minAvailable) && " +
          "type(variables.anyObject.spec.minAvailable) == int && " +
          "variables.anyObject.spec.minAvailable >= variables.params.minAvailable",
        messageExpression:
          "'PodDisruptionBudget needs an integer minAvailable >= ' + string(variables.params.minAvailable) + " +
          "' and no maxUnavailable'",
      },
    ],
  },
});
