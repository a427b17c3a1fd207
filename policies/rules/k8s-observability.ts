import { asArray, labelsOf, nameOf, nsOf, selectorMatches } from "./k8s.ts";
import { stackRule } from "./types.ts";

const SVC = "kubernetes:core/v1:Service";
const SM = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
const PR = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
const NAME = "app.kubernetes.io/name";

export const k8sObservability = stackRule({
  id: "k8s-observability",
  description:
    "Every Service is scraped by a ServiceMonitor and has alerting rules (a PrometheusRule for the same app).",
  severity: "medium",
  category: "reliability",
  checklist: [
    {
      seed: "sentinel",
      item: 'Monitoring & Observability: "Configure ServiceMonitor", "Set up alerting rules"',
    },
    { seed: "router", item: '"Set up monitoring and alerting"' },
  ],
  remediation:
    "Add a ServiceMonitor whose selector matches the Service labels (endpoint port http, path /metrics) and a " +
    "PrometheusRule in the same namespace labelled with the same app.kubernetes.io/name.",
  options: { exempt: [] as string[] },
  configSchema: { exempt: { type: "array", items: { type: "string" } } },
  check(args, o) {
    const sms = args.resources.filter((r) => r.type === SM);
    const prs = args.resources.filter((r) => r.type === PR);
    const out: { urn: string; message: string }[] = [];
    for (const s of args.resources.filter((r) => r.type === SVC)) {
      const ns = nsOf(s.props);
      const name = nameOf(s.props, s.name);
      if (o.exempt.includes(`${ns}/${name}`)) continue;
      const labels = labelsOf(s.props);
      const scraped = sms.some((m) => {
        const nsSel = m.props.spec?.namespaceSelector ?? {};
        const inNs =
          nsSel.any === true ||
          asArray(nsSel.matchNames).includes(ns) ||
          (!nsSel.matchNames && nsOf(m.props) === ns);
        return inNs && m.props.spec?.selector && selectorMatches(m.props.spec.selector, labels);
      });
      if (!scraped)
        out.push({ urn: s.urn, message: `Service ${ns}/${name} is not selected by any ServiceMonitor.` });
      const app = labels[NAME];
      const alerted = prs.some(
        (p) => nsOf(p.props) === ns && app !== undefined && labelsOf(p.props)[NAME] === app,
      );
      if (!alerted)
        out.push({
          urn: s.urn,
          message: `Service ${ns}/${name} has no PrometheusRule for ${NAME}=${app ?? "(unset)"}.`,
        });
    }
    return out;
  },
});
