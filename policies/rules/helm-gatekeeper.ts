import { chartName, get, RELEASE, versionAtLeast } from "./helm.ts";
import { resourceRule } from "./types.ts";

/** CEL (K8sNativeValidation) is on by default from Gatekeeper 3.17.0 (the platform's pin is in its versions table). */
export const GATEKEEPER_MIN_VERSION = "3.17.0";

export const helmGatekeeper = resourceRule({
  id: "helm-gatekeeper",
  description:
    `Gatekeeper runs >= 3 webhook replicas and a version (>= ${GATEKEEPER_MIN_VERSION}) with the CEL ` +
    "K8sNativeValidation engine enabled, so the rendered constraints are enforced.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "core", item: 'Security > OPA Gatekeeper: "Policy enforcement" via admission controller' },
    { seed: "sentinel", item: 'High Availability: "Run at least 3 replicas"' },
  ],
  remediation:
    `Install the gatekeeper chart at ${GATEKEEPER_MIN_VERSION} or later with values replicas: 3 and ` +
    "enableK8sNativeValidation: true (the default).",
  types: [RELEASE],
  options: { minReplicas: 3 },
  configSchema: { minReplicas: { type: "integer", minimum: 1 } },
  check(props, o, args) {
    if (chartName(props) !== "gatekeeper") args.notApplicable("not the gatekeeper chart");
    const vals = props.values ?? {};
    const out: string[] = [];
    const replicas = get(vals, "replicas") ?? 3;
    if (replicas < o.minReplicas) out.push(`replicas is ${replicas}; needs >= ${o.minReplicas}.`);
    if (typeof props.version !== "string" || !versionAtLeast(props.version, GATEKEEPER_MIN_VERSION))
      out.push(`chart version ${props.version} predates CEL-by-default (${GATEKEEPER_MIN_VERSION}).`);
    if (get(vals, "enableK8sNativeValidation") === false)
      out.push("enableK8sNativeValidation is false: the CEL constraints would not be evaluated.");
    return out;
  },
});
