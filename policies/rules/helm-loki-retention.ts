import { chartName, durationHours, get, RELEASE } from "./helm.ts";
import { resourceRule } from "./types.ts";

export const helmLokiRetention = resourceRule({
  id: "helm-loki-retention",
  description: "Loki keeps logs >= 31 days with compactor retention enabled.",
  severity: "medium",
  category: "reliability",
  checklist: [
    { seed: "core", item: 'Logging Stack: "31-day default retention"' },
    { seed: "sentinel", item: 'Monitoring & Observability: "Configure log aggregation (ELK, Loki)"' },
  ],
  remediation:
    "In the loki chart values set loki.limits_config.retention_period: 744h (31d) or more and " +
    "loki.compactor.retention_enabled: true (with delete_request_store set).",
  types: [RELEASE],
  options: { minRetentionDays: 31 },
  configSchema: { minRetentionDays: { type: "integer", minimum: 1 } },
  check(props, o, args) {
    if (chartName(props) !== "loki") args.notApplicable("not the loki chart");
    const vals = props.values ?? {};
    const out: string[] = [];
    const ret = get(vals, "loki.limits_config.retention_period");
    const h = durationHours(ret);
    if (h === undefined || h < o.minRetentionDays * 24)
      out.push(
        `loki.limits_config.retention_period is ${JSON.stringify(ret ?? null)}; needs >= ${o.minRetentionDays}d.`,
      );
    if (get(vals, "loki.compactor.retention_enabled") !== true)
      out.push("loki.compactor.retention_enabled is not true, so retention is never applied.");
    return out;
  },
});
