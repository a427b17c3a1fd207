/**
 * Alerting rules per service: Down, HighErrorRate, multi-window SLO burn rates (availability and
 * latency, Google SRE workbook thresholds) and Kafka consumer lag. Alerts carry service and
 * severity labels so Alertmanager routes them (critical pages, warning tickets).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../../lib/labels.ts";
import type { AppsContext } from "../context.ts";
import type { ServiceProfile } from "../profile.ts";
import { costApiAlerts } from "./cost-api.ts";
import { jobSelector, METRICS, pascal } from "./metrics.ts";
import { sentinelAlerts } from "./sentinel.ts";
import { monitoringLabels } from "./service-monitor.ts";

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Burn-rate windows: [long, short, factor, severity] — 2% / 5% of a 30-day budget spent in 1h / 6h. */
const BURN_WINDOWS = [
  { long: "1h", short: "5m", factor: 14.4, severity: "critical" },
  { long: "6h", short: "30m", factor: 6, severity: "warning" },
] as const;
const WINDOWS = [...new Set(BURN_WINDOWS.flatMap((w) => [w.long, w.short]))];

/** Alerts on a service's own metrics, beside the ones every service gets. */
const DOMAIN_ALERTS: Partial<
  Record<
    ServiceProfile["name"],
    (job: string, labels: (severity: string) => Record<string, string>) => Rule[]
  >
> = {
  "cost-api": costApiAlerts,
  sentinel: sentinelAlerts,
};

/** Consumer lag (messages) that, sustained, means the service is falling behind. */
const LAG_ALERT_MESSAGES = 10_000;

export function alertRules(ctx: AppsContext, profile: ServiceProfile): { name: string; rules: Rule[] }[] {
  const ns = ctx.platform.appNamespace;
  const job = jobSelector(ns, profile.name);
  const name = pascal(profile.name);
  const labels = (severity: string) => ({ severity, service: profile.name, namespace: ns });
  const { requests, duration, statusLabel } = profile.sli;
  const sum = (expr: string) => `sum(${expr})`;
  const errorRatio = (w: string) =>
    `${sum(`rate(${requests}{${job}, ${statusLabel}=~"5.."}[${w}])`)} / ${sum(`rate(${requests}{${job}}[${w}])`)}`;
  const slowRatio = (w: string) =>
    `1 - (${sum(`rate(${duration}_bucket{${job}, le="${profile.slo.latency.thresholdSeconds}"}[${w}])`)} / ${sum(`rate(${duration}_count{${job}}[${w}])`)})`;
  const recordName = (kind: string, w: string) => `service:${kind}:ratio_rate${w}`;
  const recorded = (kind: string, w: string) => `${recordName(kind, w)}{service="${profile.name}"}`;

  const recordings: Rule[] = WINDOWS.flatMap((w) => [
    { record: recordName("http_errors", w), expr: errorRatio(w), labels: { service: profile.name } },
    { record: recordName("http_slow", w), expr: slowRatio(w), labels: { service: profile.name } },
  ]);

  const burn = (kind: "http_errors" | "http_slow", budget: number, alert: string, what: string): Rule[] =>
    BURN_WINDOWS.map((w) => ({
      alert,
      expr: `${recorded(kind, w.long)} > ${w.factor} * ${budget} and ${recorded(kind, w.short)} > ${w.factor} * ${budget}`,
      for: w.severity === "critical" ? "2m" : "15m",
      labels: { ...labels(w.severity), window: w.long },
      annotations: {
        summary: `${profile.name} is burning its ${what} error budget ${w.factor}x too fast (${w.long} window)`,
        description: `At this rate the 30-day ${what} budget is gone in ${Math.round((30 * 24) / w.factor)}h.`,
      },
    }));

  const availabilityBudget = round(1 - profile.slo.availability);
  const latencyBudget = round(1 - profile.slo.latency.objective);
  const errorSignals = [`(${errorRatio("5m")}) > 0.05`];
  if (profile.errorCounters)
    errorSignals.push(
      `sum(rate({__name__=~"${profile.errorCounters.metricRegex}", ${job}}[5m])) > ${profile.errorCounters.perSecond}`,
    );

  const alerts: Rule[] = [
    {
      alert: `${name}Down`,
      // No scrapeable pod, or pods whose app stopped exporting (the sidecar answers for a dead app).
      expr: `absent(${METRICS.up}{${job}} == 1) or absent(nodejs_version_info{${job}})`,
      for: "1m",
      labels: labels("critical"),
      annotations: {
        summary: `${profile.name} is down`,
        description: `No ${profile.name} pod in ${ns} has been scraped successfully for 1 minute.`,
      },
    },
    {
      alert: `${name}HighErrorRate`,
      expr: errorSignals.join(" or "),
      for: "5m",
      labels: labels("warning"),
      annotations: {
        summary: `High error rate in ${profile.name}`,
        description: "More than 5% of requests fail with 5xx, or internal error counters are rising.",
      },
    },
    ...burn("http_errors", availabilityBudget, `${name}AvailabilitySLOBurn`, "availability"),
    ...burn(
      "http_slow",
      latencyBudget,
      `${name}LatencySLOBurn`,
      `latency (<${profile.slo.latency.thresholdSeconds}s)`,
    ),
    ...profile.kafka.consumes.map(({ topic, group, perReplica }) => ({
      alert: `${name}ConsumerLagHigh`,
      // A replica's own group (perReplica) lagging means that replica acts on stale state.
      expr: perReplica
        ? `max by (topic) (${METRICS.consumerLag}{consumergroup=~"${group}-.+", topic="${topic}"}) > ${LAG_ALERT_MESSAGES}`
        : `sum by (topic) (${METRICS.consumerLag}{consumergroup="${group}", topic="${topic}"}) > ${LAG_ALERT_MESSAGES}`,
      for: "10m",
      labels: { ...labels("warning"), topic },
      annotations: {
        summary: `${profile.name} is falling behind on ${topic}`,
        description: `Consumer group ${perReplica ? `${group}-<replica>` : group} lags more than ${LAG_ALERT_MESSAGES} messages on ${topic} for 10 minutes.`,
      },
    })),
    ...(DOMAIN_ALERTS[profile.name]?.(job, labels) ?? []),
  ];
  return [
    { name: `${profile.name}.slo-recordings`, rules: recordings },
    { name: `${profile.name}.alerts`, rules: alerts },
  ];
}

const round = (n: number) => Number(n.toFixed(6));

export function prometheusRule(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    profile.name,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, monitoringLabels(ctx, labels)),
      spec: { groups: alertRules(ctx, profile) },
    },
    opts,
  );
}
