/**
 * Grafana's way in and what it shows beyond the services: single sign-on through the organisation's
 * OpenID Connect provider (client secret from the cloud secret store through external-secrets, never
 * in Helm values), published at grafana.<domain> on the public Gateway once SSO is configured; the
 * generated admin password stays as the break-glass login. Platform dashboards (Kafka, the gateway,
 * Loki, the managed Postgres) sit beside the per-service ones the apps layer ships.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, type PlatformContext } from "./context.ts";
import { DASHBOARD_LABEL, GATEWAY, SECRET_STORE } from "./names.ts";
import { NS } from "../names.ts";

const OIDC_SECRET = "grafana-oidc";
const OIDC_KEY = "client-secret";
const OIDC_MOUNT = `/etc/secrets/${OIDC_SECRET}`;
/** kube-prometheus-stack's Grafana: Service <release>-grafana on port 80, pods labelled name=grafana. */
export const GRAFANA = {
  service: "kube-prometheus-stack-grafana",
  servicePort: 80,
  containerPort: 3000,
  podLabels: { "app.kubernetes.io/name": "grafana" },
} as const;

export const grafanaHost = (ctx: PlatformContext) => `grafana.${ctx.config.domain}`;

/** JMESPath mapping the groups claim to Grafana's roles; anyone else the provider admits is a Viewer. */
export function roleAttributePath(sso: NonNullable<PlatformContext["config"]["grafanaSso"]>): string {
  const q = (g: string) => `'${g.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const claim = sso.groupsClaim;
  const when = (groups: string[], role: string) =>
    groups.map((g) => `contains(${claim}[*], ${q(g)}) && '${role}'`);
  return [...when(sso.adminGroups, "Admin"), ...when(sso.editorGroups, "Editor"), "'Viewer'"].join(" || ");
}

/** Grafana chart values for SSO (empty without grafanaSso). */
export function grafanaSsoValues(ctx: PlatformContext): Record<string, unknown> {
  const sso = ctx.config.grafanaSso;
  if (!sso) return {};
  return {
    "grafana.ini": {
      server: { root_url: `https://${grafanaHost(ctx)}` },
      "auth.generic_oauth": {
        enabled: true,
        name: sso.name,
        client_id: sso.clientId,
        // Grafana reads the file at start: the secret is mounted, never a value.
        client_secret: `$__file{${OIDC_MOUNT}/${OIDC_KEY}}`,
        scopes: "openid email profile",
        auth_url: sso.authUrl,
        token_url: sso.tokenUrl,
        api_url: sso.userinfoUrl,
        use_pkce: true,
        allow_sign_up: true,
        login_attribute_path: "preferred_username",
        email_attribute_path: "email",
        groups_attribute_path: sso.groupsClaim,
        role_attribute_path: roleAttributePath(sso),
      },
    },
    extraSecretMounts: [
      {
        name: OIDC_SECRET,
        secretName: OIDC_SECRET,
        defaultMode: 0o440,
        mountPath: OIDC_MOUNT,
        readOnly: true,
      },
    ],
  };
}

/** The client secret, synced from the cloud secret store entry the cloud layer writes. */
export function grafanaOidcSecret(ctx: PlatformContext, deps: pulumi.Resource[]) {
  const key = ctx.cloud.secrets.grafanaOidc;
  if (!ctx.config.grafanaSso || !key) return undefined;
  return new k8s.apiextensions.CustomResource(
    OIDC_SECRET,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: chartMeta(ctx, "kubePrometheusStack", "grafana", OIDC_SECRET, NS.monitoring),
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: SECRET_STORE },
        target: { name: OIDC_SECRET, creationPolicy: "Owner" },
        data: [{ secretKey: OIDC_KEY, remoteRef: { key } }],
      },
    },
    { parent: ctx.parent, dependsOn: deps },
  );
}

/** grafana.<domain> on the public Gateway: only with SSO (a public password login is not a way in). */
export function grafanaRoute(ctx: PlatformContext, deps: pulumi.Resource[]) {
  if (!ctx.config.grafanaSso) return undefined;
  return new k8s.apiextensions.CustomResource(
    `${NS.monitoring}-grafana`,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: chartMeta(ctx, "kubePrometheusStack", "grafana", "grafana", NS.monitoring),
      spec: {
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "Gateway",
            name: GATEWAY.name,
            namespace: GATEWAY.namespace,
            sectionName: GATEWAY.httpsListener,
          },
        ],
        hostnames: [grafanaHost(ctx)],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [{ name: GRAFANA.service, port: GRAFANA.servicePort }],
          },
        ],
      },
    },
    { parent: ctx.parent, dependsOn: deps },
  );
}

interface Panel {
  title: string;
  unit: string;
  targets: { expr: string; legend: string }[];
}

/** The platform dashboards: title and panels each (PromQL on what the platform's exporters publish). */
export const PLATFORM_DASHBOARDS: Record<string, { title: string; panels: Panel[] }> = {
  kafka: {
    title: "Kafka",
    panels: [
      {
        title: "Messages in per topic",
        unit: "ops",
        targets: [
          { expr: "sum by (topic) (rate(kafka_topic_partition_current_offset[5m]))", legend: "{{topic}}" },
        ],
      },
      {
        title: "Consumer lag per group and topic",
        unit: "short",
        targets: [
          {
            expr: "sum by (consumergroup, topic) (kafka_consumergroup_lag)",
            legend: "{{consumergroup}} {{topic}}",
          },
        ],
      },
      {
        title: "Under-replicated partitions",
        unit: "short",
        targets: [
          { expr: "sum by (topic) (kafka_topic_partition_under_replicated_partition)", legend: "{{topic}}" },
        ],
      },
      {
        title: "Consumed per group",
        unit: "ops",
        targets: [
          {
            expr: "sum by (consumergroup) (rate(kafka_consumergroup_current_offset[5m]))",
            legend: "{{consumergroup}}",
          },
        ],
      },
    ],
  },
  gateway: {
    title: "Ingress gateway",
    panels: [
      {
        title: "Requests per second by status",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (response_code) (rate(istio_requests_total{reporter="source", source_workload="${GATEWAY.deployment}"}[5m]))`,
            legend: "{{response_code}}",
          },
        ],
      },
      {
        title: "Requests refused by the WAF (403) and the rate limit (429)",
        unit: "reqps",
        targets: [
          {
            expr: `sum by (response_code) (rate(istio_requests_total{reporter="source", source_workload="${GATEWAY.deployment}", response_code=~"403|429"}[5m]))`,
            legend: "{{response_code}}",
          },
        ],
      },
      {
        title: "Latency p95 by destination",
        unit: "ms",
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (le, destination_service_name) (rate(istio_request_duration_milliseconds_bucket{reporter="source", source_workload="${GATEWAY.deployment}"}[5m])))`,
            legend: "{{destination_service_name}}",
          },
        ],
      },
      {
        title: "TLS certificate expiry (days left)",
        unit: "d",
        targets: [
          {
            expr: "(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400",
            legend: "{{namespace}}/{{name}}",
          },
        ],
      },
    ],
  },
  loki: {
    title: "Loki",
    panels: [
      {
        title: "Ingested lines per second",
        unit: "ops",
        targets: [{ expr: "sum(rate(loki_distributor_lines_received_total[5m]))", legend: "lines/s" }],
      },
      {
        title: "Ingested bytes per second",
        unit: "Bps",
        targets: [{ expr: "sum(rate(loki_distributor_bytes_received_total[5m]))", legend: "bytes/s" }],
      },
      {
        title: "Push and query latency p99",
        unit: "s",
        targets: [
          {
            expr: 'histogram_quantile(0.99, sum by (le, route) (rate(loki_request_duration_seconds_bucket{route=~"loki_api_v1_push|loki_api_v1_query_range"}[5m])))',
            legend: "{{route}}",
          },
        ],
      },
      {
        title: "Active streams",
        unit: "short",
        targets: [{ expr: "sum(loki_ingester_memory_streams)", legend: "streams" }],
      },
    ],
  },
  // postgres_exporter v0.20.1's default collectors (the apps layer runs it beside the roles Job); the
  // exporter runs with several replicas, so each series is taken once per database (max by).
  postgres: {
    title: "Postgres",
    panels: [
      {
        title: "Connections vs max_connections",
        unit: "short",
        targets: [
          { expr: "sum(max by (datname) (pg_stat_database_numbackends))", legend: "connections" },
          { expr: "max(pg_settings_max_connections)", legend: "max_connections" },
        ],
      },
      {
        title: "Transactions per second",
        unit: "ops",
        targets: [
          {
            expr: 'max by (datname) (rate(pg_stat_database_xact_commit{datname!~"template.*"}[5m]))',
            legend: "commit {{datname}}",
          },
          {
            expr: 'max by (datname) (rate(pg_stat_database_xact_rollback{datname!~"template.*"}[5m]))',
            legend: "rollback {{datname}}",
          },
        ],
      },
      {
        title: "Cache hit ratio",
        unit: "percentunit",
        targets: [
          {
            expr:
              'max by (datname) (rate(pg_stat_database_blks_hit{datname!~"template.*"}[5m])) / ' +
              '(max by (datname) (rate(pg_stat_database_blks_hit{datname!~"template.*"}[5m])) + ' +
              'max by (datname) (rate(pg_stat_database_blks_read{datname!~"template.*"}[5m])))',
            legend: "{{datname}}",
          },
        ],
      },
      {
        title: "Deadlocks",
        unit: "short",
        targets: [
          {
            expr: 'max by (datname) (increase(pg_stat_database_deadlocks{datname!~"template.*"}[5m]))',
            legend: "{{datname}}",
          },
        ],
      },
      {
        title: "Database size",
        unit: "bytes",
        targets: [
          { expr: 'max by (datname) (pg_database_size_bytes{datname!~"template.*"})', legend: "{{datname}}" },
        ],
      },
      {
        title: "Longest transaction",
        unit: "s",
        targets: [
          {
            expr: "max by (datname, state) (pg_stat_activity_max_tx_duration)",
            legend: "{{datname}} {{state}}",
          },
        ],
      },
      {
        // Managed HA standbys take no connections: a series only when the exporter is pointed at a replica.
        title: "Replication lag (on a replica)",
        unit: "s",
        targets: [
          { expr: "max(pg_replication_lag_seconds and pg_replication_is_replica == 1)", legend: "lag" },
        ],
      },
    ],
  },
};

/** Grafana dashboard JSON (schema 39): two panels a row. */
export function dashboardJson(ctx: PlatformContext, key: string): Record<string, unknown> {
  const board = PLATFORM_DASHBOARDS[key]!;
  return {
    uid: `llmops-platform-${key}-${ctx.config.stack}`.slice(0, 40),
    title: `LLMOps platform / ${board.title} (${ctx.config.stack})`,
    tags: ["llmops", "platform", key],
    timezone: "utc",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    panels: board.panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      datasource: { type: "prometheus", uid: "prometheus" },
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        expr: t.expr,
        legendFormat: t.legend,
      })),
    })),
  };
}

export function platformDashboards(ctx: PlatformContext, deps: pulumi.Resource[]) {
  return Object.keys(PLATFORM_DASHBOARDS).map((key) => {
    const name = `platform-${key}-dashboard`;
    return new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: chartMeta(ctx, "kubePrometheusStack", "dashboards", name, NS.monitoring, {
          labels: { [DASHBOARD_LABEL]: "1" },
          annotations: { grafana_folder: "LLMOps platform" },
        }),
        data: { [`platform-${key}.json`]: JSON.stringify(dashboardJson(ctx, key)) },
      },
      { parent: ctx.parent, dependsOn: deps },
    );
  });
}
