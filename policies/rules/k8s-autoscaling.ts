import { nameOf, nsOf, SCALABLE_TYPES, SCALER_TYPES, scalerOf, typeParts } from "./k8s.ts";
import { stackRule } from "./types.ts";

const DEPLOY = "kubernetes:apps/v1:Deployment";

export const k8sAutoscaling = stackRule({
  id: "k8s-autoscaling",
  description:
    "Every Deployment is scaled by a HorizontalPodAutoscaler (autoscaling/v2 or v1) or a KEDA ScaledObject, and " +
    "every autoscaler targets a Deployment or StatefulSet the stack declares in its namespace (one that names " +
    "nothing scales nothing).",
  severity: "medium",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure automatic scaling (HPA)"' },
    {
      seed: "core",
      item: 'Autoscaling: "HorizontalPodAutoscaler (HPA)"; KEDA: "Kafka consumer lag scaling"',
    },
    { seed: "router", item: '"Test scaling behavior"' },
  ],
  remediation:
    "Add an autoscaling/v2 HorizontalPodAutoscaler (CPU/memory or custom metrics) or a KEDA ScaledObject " +
    "(e.g. Kafka consumer lag) whose scaleTargetRef names the Deployment in the same namespace; fix or remove " +
    "an autoscaler whose target does not exist.",
  options: { exempt: [] as string[] },
  configSchema: { exempt: { type: "array", items: { type: "string" } } },
  check(args, o) {
    const scalers = args.resources
      .filter((r) => SCALER_TYPES.includes(r.type))
      .map((r) => ({ r, s: scalerOf(r.type, r.props, r.provider) }));
    const workloads = args.resources
      .filter((r) => SCALABLE_TYPES.includes(r.type))
      .map((w) => ({
        w,
        ns: nsOf(w.props, w.provider),
        name: nameOf(w.props, w.name),
        kind: typeParts(w.type)!.kind,
      }));
    const out: { urn: string; message: string }[] = [];
    for (const { w, ns, name } of workloads.filter((x) => x.w.type === DEPLOY)) {
      if (o.exempt.includes(`${ns}/${name}`)) continue;
      if (!scalers.some(({ s }) => s.ns === ns && s.name === name && s.kind === "Deployment"))
        out.push({ urn: w.urn, message: `${ns}/${name} has no HorizontalPodAutoscaler or ScaledObject.` });
    }
    for (const { r, s } of scalers)
      if (!workloads.some((x) => x.ns === s.ns && x.name === s.name && x.kind === s.kind))
        out.push({
          urn: r.urn,
          message: `${typeParts(r.type)!.kind} ${s.ns}/${nameOf(r.props, r.name)} targets ${s.kind ?? "(no kind)"} ${s.name}, which the stack does not declare in ${s.ns}.`,
        });
    return out;
  },
});
