import { nameOf, nsOf } from "./k8s.ts";
import { stackRule } from "./types.ts";

const DEPLOY = "kubernetes:apps/v1:Deployment";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const SCALED = "kubernetes:keda.sh/v1alpha1:ScaledObject";

export const k8sAutoscaling = stackRule({
  id: "k8s-autoscaling",
  description: "Every Deployment is scaled by a HorizontalPodAutoscaler or a KEDA ScaledObject.",
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
    "(e.g. Kafka consumer lag) whose scaleTargetRef names the Deployment in the same namespace.",
  options: { exempt: [] as string[] },
  configSchema: { exempt: { type: "array", items: { type: "string" } } },
  check(args, o) {
    const scalers = args.resources.filter((r) => r.type === HPA || r.type === SCALED);
    const out: { urn: string; message: string }[] = [];
    for (const d of args.resources.filter((r) => r.type === DEPLOY)) {
      const ns = nsOf(d.props);
      const name = nameOf(d.props, d.name);
      if (o.exempt.includes(`${ns}/${name}`)) continue;
      const ok = scalers.some((s) => {
        const ref = s.props.spec?.scaleTargetRef ?? {};
        return nsOf(s.props) === ns && ref.name === name && (ref.kind ?? "Deployment") === "Deployment";
      });
      if (!ok)
        out.push({ urn: d.urn, message: `${ns}/${name} has no HorizontalPodAutoscaler or ScaledObject.` });
    }
    return out;
  },
});
