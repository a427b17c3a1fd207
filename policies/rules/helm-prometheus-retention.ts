import { chartName, durationHours, get, RELEASE } from "./helm.ts";
import { resourceRule } from "./types.ts";

export const helmPrometheusRetention = resourceRule({
  id: "helm-prometheus-retention",
  description:
    "kube-prometheus-stack keeps metrics >= 30 days and runs Prometheus and Alertmanager highly available.",
  severity: "medium",
  category: "reliability",
  checklist: [
    {
      seed: "core",
      item: 'Monitoring Stack > Prometheus: "High availability setup (2 replicas)", "30-day retention"',
    },
    {
      seed: "sentinel",
      item: 'Monitoring & Observability: "Install Prometheus and Grafana", "Set up alerting rules"',
    },
  ],
  remediation:
    "In the kube-prometheus-stack values set prometheus.prometheusSpec.retention: 30d (or more), " +
    "prometheus.prometheusSpec.replicas: 2 and alertmanager.alertmanagerSpec.replicas: 3.",
  types: [RELEASE],
  options: { minRetentionDays: 30, minPrometheusReplicas: 2, minAlertmanagerReplicas: 2 },
  configSchema: {
    minRetentionDays: { type: "integer", minimum: 1 },
    minPrometheusReplicas: { type: "integer", minimum: 1 },
    minAlertmanagerReplicas: { type: "integer", minimum: 1 },
  },
  check(props, o, args) {
    if (chartName(props) !== "kube-prometheus-stack") args.notApplicable("not kube-prometheus-stack");
    const vals = props.values ?? {};
    const out: string[] = [];
    const ret = get(vals, "prometheus.prometheusSpec.retention") ?? "10d";
    const h = durationHours(ret);
    if (h === undefined || h < o.minRetentionDays * 24)
      out.push(
        `prometheus.prometheusSpec.retention is ${JSON.stringify(ret)}; needs >= ${o.minRetentionDays}d.`,
      );
    const pr = get(vals, "prometheus.prometheusSpec.replicas") ?? 1;
    if (pr < o.minPrometheusReplicas)
      out.push(`prometheus.prometheusSpec.replicas is ${pr}; needs >= ${o.minPrometheusReplicas}.`);
    if (get(vals, "alertmanager.enabled") === false) out.push("alertmanager is disabled.");
    else {
      const ar = get(vals, "alertmanager.alertmanagerSpec.replicas") ?? 1;
      if (ar < o.minAlertmanagerReplicas)
        out.push(
          `alertmanager.alertmanagerSpec.replicas is ${ar}; needs >= ${o.minAlertmanagerReplicas} (HA).`,
        );
    }
    return out;
  },
});
