/**
 * A Grafana dashboard per service, as a ConfigMap in the monitoring namespace carrying the label
 * Grafana's dashboard sidecar watches: traffic, errors, latency against the SLO, saturation,
 * consumer lag, plus the service's own metrics.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../../lib/labels.ts";
import type { AppsContext } from "../context.ts";
import type { ServiceProfile } from "../profile.ts";
import { mebibytes, millicores } from "../quantity.ts";
import { costApiPanels } from "./cost-api.ts";
import { sentinelPanels } from "./sentinel.ts";
import { jobSelector, METRICS } from "./metrics.ts";

/** Grafana's variable syntax (not a JS template): panels follow the dashboard's datasource picker. */
const DATASOURCE_VARIABLE = ["$", "{datasource}"].join("");

export interface Panel {
  title: string;
  unit: string;
  targets: { expr: string; legend: string }[];
}

/** Extra panels for services with domain metrics worth a glance (the sentinel's detection metrics). */
const DOMAIN_PANELS: Partial<Record<ServiceProfile["name"], (job: string) => Panel[]>> = {
  "cost-api": costApiPanels,
  router: (job) => [
    {
      title: "Calls by model group and provider",
      unit: "reqps",
      targets: [
        {
          expr: `sum by (model, provider) (rate(router_requests_total{${job}}[5m]))`,
          legend: "{{model}} / {{provider}}",
        },
      ],
    },
    {
      title: "Retries, failovers, refusals",
      unit: "ops",
      targets: [
        { expr: `sum(rate(router_retries_total{${job}}[5m]))`, legend: "retries" },
        { expr: `sum(rate(router_failovers_total{${job}}[5m]))`, legend: "failovers" },
        { expr: `sum by (reason) (rate(router_rejected_total{${job}}[5m]))`, legend: "refused: {{reason}}" },
      ],
    },
    {
      title: "Breakers not closed (per deployment, worst replica)",
      unit: "short",
      targets: [
        {
          expr: `max by (model, provider, deployment) (router_breaker_state{${job}}) > 0`,
          legend: "{{model}} {{provider}}/{{deployment}}",
        },
      ],
    },
    {
      title: "Effective weight (anomaly steering)",
      unit: "short",
      targets: [
        {
          expr: `min by (model, provider, deployment) (router_deployment_effective_weight{${job}})`,
          legend: "{{model}} {{provider}}/{{deployment}}",
        },
      ],
    },
    {
      title: "Queue depth and wait p95",
      unit: "short",
      targets: [
        { expr: `sum(router_queue_depth{${job}})`, legend: "queued" },
        {
          expr: `histogram_quantile(0.95, sum by (le) (rate(router_queue_wait_seconds_bucket{${job}}[5m])))`,
          legend: "wait p95 (s)",
        },
      ],
    },
    {
      title: "Cache hit ratio and WebSocket connections",
      unit: "short",
      targets: [
        {
          expr: `sum(rate(router_cache_requests_total{${job}, result="hit"}[5m])) / clamp_min(sum(rate(router_cache_requests_total{${job}, result!="bypass"}[5m])), 1e-9)`,
          legend: "hit ratio",
        },
        { expr: `sum(router_ws_connections{${job}})`, legend: "ws connections" },
      ],
    },
  ],
  sentinel: sentinelPanels,
};

export function dashboardPanels(ctx: AppsContext, profile: ServiceProfile): Panel[] {
  const ns = ctx.platform.appNamespace;
  const job = jobSelector(ns, profile.name);
  const pods = `namespace="${ns}", pod=~"${profile.name}-.*", container="${profile.name}"`;
  const quantile = (q: number) => ({
    expr: `histogram_quantile(${q}, sum by (le) (rate(${profile.sli.duration}_bucket{${job}}[5m])))`,
    legend: `p${Math.round(q * 100)}`,
  });
  return [
    {
      title: "Requests by status",
      unit: "reqps",
      targets: [
        {
          expr: `sum by (${profile.sli.statusLabel}) (rate(${profile.sli.requests}{${job}}[5m]))`,
          legend: `{{${profile.sli.statusLabel}}}`,
        },
      ],
    },
    {
      title: "Error ratio (5xx) vs budget",
      unit: "percentunit",
      targets: [
        { expr: `service:http_errors:ratio_rate5m{service="${profile.name}"}`, legend: "5xx ratio" },
        { expr: `vector(${(1 - profile.slo.availability).toFixed(6)})`, legend: "budget" },
      ],
    },
    {
      title: `Latency (SLO: ${profile.slo.latency.objective * 100}% < ${profile.slo.latency.thresholdSeconds}s)`,
      unit: "s",
      targets: [quantile(0.5), quantile(0.95), quantile(0.99)],
    },
    {
      title: "Pods ready",
      unit: "short",
      targets: [
        {
          expr: `sum(kube_deployment_status_replicas_available{namespace="${ns}", deployment="${profile.name}"})`,
          legend: "available",
        },
        {
          expr: `sum(kube_deployment_spec_replicas{namespace="${ns}", deployment="${profile.name}"})`,
          legend: "desired",
        },
      ],
    },
    {
      title: "CPU (cores) per pod",
      unit: "short",
      targets: [{ expr: `sum by (pod) (rate(${METRICS.cpu}{${pods}}[5m]))`, legend: "{{pod}}" }],
    },
    {
      title: "Memory working set per pod",
      unit: "bytes",
      targets: [{ expr: `sum by (pod) (${METRICS.memory}{${pods}})`, legend: "{{pod}}" }],
    },
    {
      title: "Kafka consumer lag",
      unit: "short",
      targets: [
        {
          expr: `sum by (topic) (${METRICS.consumerLag}{consumergroup=~"${profile.kafka.groupPrefix}-.*"})`,
          legend: "{{topic}}",
        },
      ],
    },
    ...(ctx.platform.verticalPodAutoscaler ? vpaPanels(ctx, profile) : []),
    ...(DOMAIN_PANELS[profile.name]?.(job) ?? []),
  ];
}

/**
 * What the VPA recommender would give the service's container, beside what sizing.ts requests and
 * what it uses: the data to tune the sizing tables from (the VPA itself never changes a pod).
 */
function vpaPanels(ctx: AppsContext, profile: ServiceProfile): Panel[] {
  const ns = ctx.platform.appNamespace;
  const vpa = ctx.platform.monitoring.vpaRecommendation;
  const sizing = profile.sizing[ctx.config.environment].resources;
  const rec = (metric: string, resource: string) =>
    `max(${metric}{namespace="${ns}", target_name="${profile.name}", container="${profile.name}", resource="${resource}"})`;
  const pods = `namespace="${ns}", pod=~"${profile.name}-.*", container="${profile.name}"`;
  return [
    {
      title: "CPU: VPA recommendation vs request vs usage (cores)",
      unit: "short",
      targets: [
        { expr: rec(vpa.target, "cpu"), legend: "VPA target" },
        { expr: rec(vpa.upperBound, "cpu"), legend: "VPA upper bound" },
        { expr: `vector(${millicores(sizing.requests.cpu) / 1000})`, legend: "request (sizing.ts)" },
        { expr: `max(rate(${METRICS.cpu}{${pods}}[5m]))`, legend: "busiest pod" },
      ],
    },
    {
      title: "Memory: VPA recommendation vs request vs usage",
      unit: "bytes",
      targets: [
        { expr: rec(vpa.target, "memory"), legend: "VPA target" },
        { expr: rec(vpa.upperBound, "memory"), legend: "VPA upper bound" },
        { expr: `vector(${mebibytes(sizing.requests.memory) * 1024 * 1024})`, legend: "request (sizing.ts)" },
        { expr: `max(${METRICS.memory}{${pods}})`, legend: "busiest pod" },
      ],
    },
  ];
}

/** Grafana dashboard JSON (schema 39): a two-column grid of time series panels. */
export function dashboardJson(ctx: AppsContext, profile: ServiceProfile): Record<string, unknown> {
  const width = 12;
  const height = 8;
  return {
    uid: `llmops-${profile.name}-${ctx.config.stack}`.slice(0, 40),
    title: `LLMOps / ${profile.name} (${ctx.config.stack})`,
    tags: ["llmops", profile.name, ctx.config.environment],
    timezone: "utc",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          type: "datasource",
          query: "prometheus",
          current: { text: "Prometheus", value: "prometheus" },
        },
      ],
    },
    panels: dashboardPanels(ctx, profile).map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      datasource: { type: "prometheus", uid: DATASOURCE_VARIABLE },
      gridPos: { x: (i % 2) * width, y: Math.floor(i / 2) * height, w: width, h: height },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };
}

export function dashboard(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  const name = `${profile.name}-dashboard`;
  const { monitoring } = ctx.platform;
  return new k8s.core.v1.ConfigMap(
    name,
    {
      metadata: objectMeta(name, monitoring.namespace, labels, {
        labels: { [monitoring.dashboardLabel]: "1" },
        // The sidecar files dashboards into this Grafana folder.
        annotations: { grafana_folder: "LLMOps" },
      }),
      data: { [`${profile.name}.json`]: JSON.stringify(dashboardJson(ctx, profile)) },
    },
    opts,
  );
}
