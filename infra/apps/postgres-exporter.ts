/**
 * Postgres metrics for Prometheus: prometheus-community's postgres-exporter (chart pinned in
 * versions.ts) in the app namespace, beside the roles Job, logging in as the monitoring login the Job
 * provisions (POSTGRES_MONITOR_ROLE: pg_monitor and CONNECT, nothing else).
 *
 *   - the login's password: a Password generator and an ExternalSecret `postgres-monitor`, created
 *     once in the cluster (never in Pulumi state), read by the Job (its URL) and by the exporter (the
 *     password alone); both must sit in this namespace to share one generated password;
 *   - TLS verified against the cloud's CA bundle (the postgres-ca ConfigMap the services mount), with
 *     the services' sslmode;
 *   - outside the mesh (no sidecar): Prometheus scrapes it in plaintext, and it talks only to the
 *     managed server; its NetworkPolicy admits Prometheus on the metrics port and lets it reach
 *     Postgres (DNS comes from the platform's namespace policy);
 *   - a ServiceMonitor with the label kube-prometheus-stack selects, and a PodDisruptionBudget: the
 *     app namespace's admission rules apply to it as to the services (replicas, spread, labels).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { POSTGRES_MONITOR_ROLE } from "../../services/shared/src/contract.ts";
import { type Labels, objectMeta, standardLabels } from "../lib/labels.ts";
import { poolSelector } from "../platform/placement.ts";
import { APP_NAMESPACE_IMAGES, CHARTS } from "../platform/versions.ts";
import { POSTGRES_CA } from "./constants.ts";
import { type AppsContext, selectorLabels } from "./context.ts";
import { postgresEgress } from "./network.ts";
import { preferOtherHosts } from "./pod.ts";
import { postgresLoginSecret } from "./postgres-login.ts";
import { monitoringLabels } from "./observability/service-monitor.ts";
import { PROD_MIN_AVAILABLE } from "./scaling.ts";
import { POSTGRES_EXPORTER_RESOURCES } from "./sizing.ts";

const NAME = "postgres-exporter";
/** The monitoring login's Secret: DATABASE_URL (the Job's input) and password (the exporter's). */
export const MONITOR_SECRET = "postgres-monitor";
export const MONITOR_PASSWORD_KEY = "password";
/** Where the exporter listens (the chart's service.targetPort) and the port's name on its Service. */
export const EXPORTER_PORT = 9187;
const EXPORTER_PORT_NAME = "http";

/** Three in prod (the namespace's replica floor), spread over hosts; one in dev. */
const replicas = (ctx: AppsContext) => (ctx.config.environment === "prod" ? PROD_MIN_AVAILABLE + 1 : 1);

/** What the exporter takes of the namespace's quota. */
export const exporterWorkload = (ctx: AppsContext) => ({
  replicas: replicas(ctx),
  resources: POSTGRES_EXPORTER_RESOURCES,
});

/** The labels of every object of the exporter; `instance` is the Helm release, so the chart's pods carry it. */
export function exporterLabels(ctx: AppsContext): Labels {
  return standardLabels({
    name: NAME,
    instance: NAME,
    version: CHARTS.postgresExporter.appVersion,
    component: "database-metrics",
    environment: ctx.config.environment,
  });
}

/** The monitoring login's generated password and the Secret rendering it (once, as the services' are). */
export function monitorSecret(
  ctx: AppsContext,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return postgresLoginSecret(
    ctx,
    MONITOR_SECRET,
    POSTGRES_MONITOR_ROLE,
    labels,
    { [MONITOR_PASSWORD_KEY]: "{{ .password }}" },
    opts,
  );
}

/** The chart's values: every key checked against its values.yaml and templates (test/infra/charts). */
export function exporterValues(ctx: AppsContext, labels: Labels): Record<string, unknown> {
  const { postgres } = ctx.cloud;
  const image = APP_NAMESPACE_IMAGES.postgresExporter;
  const selector = selectorLabels(labels);
  // The chart's own labels name the pods (name, instance) and the chart version; these complete them.
  const { "app.kubernetes.io/name": _n, "app.kubernetes.io/instance": _i, ...rest } = labels;
  const { "app.kubernetes.io/version": _v, ...common } = rest;
  const nodeSelector = poolSelector(ctx.config, "workload");
  return {
    nameOverride: NAME,
    fullnameOverride: NAME,
    commonLabels: common,
    replicaCount: replicas(ctx),
    image: { registry: image.registry, repository: image.repository, tag: image.tag },
    service: { port: EXPORTER_PORT, targetPort: EXPORTER_PORT, name: EXPORTER_PORT_NAME },
    // No Kubernetes API access: no Role, and no token in the pod.
    rbac: { create: false },
    automountServiceAccountToken: false,
    podLabels: { ...rest, "sidecar.istio.io/inject": "false" },
    resources: {
      requests: { ...POSTGRES_EXPORTER_RESOURCES.requests },
      limits: { ...POSTGRES_EXPORTER_RESOURCES.limits },
    },
    ...(nodeSelector ? { nodeSelector } : {}),
    affinity: preferOtherHosts(selector),
    config: {
      datasource: {
        host: postgres.host,
        port: String(postgres.port),
        database: postgres.database,
        user: POSTGRES_MONITOR_ROLE,
        passwordSecret: { name: MONITOR_SECRET, key: MONITOR_PASSWORD_KEY },
        sslmode: postgres.tls.sslmode,
        extraParams: `sslrootcert=${POSTGRES_CA.file}`,
      },
      // pg_settings_max_connections comes from the settings collector: kept on.
      disableSettingsMetrics: false,
      logFormat: "json",
    },
    extraVolumes: [
      {
        name: "postgres-ca",
        configMap: { name: POSTGRES_CA.configMap, items: [{ key: POSTGRES_CA.key, path: POSTGRES_CA.key }] },
      },
    ],
    extraVolumeMounts: [{ name: "postgres-ca", mountPath: POSTGRES_CA.mount, readOnly: true }],
    // Ours below: the chart's PDB takes maxUnavailable only, its NetworkPolicy admits the whole namespace.
    podDisruptionBudget: { enabled: false },
    networkPolicy: { enabled: false },
    serviceMonitor: { enabled: false },
  };
}

/** The exporter's release, NetworkPolicy, PodDisruptionBudget and ServiceMonitor. */
export function postgresExporter(
  ctx: AppsContext,
  labels: Labels,
  opts: pulumi.CustomResourceOptions & { crOpts: pulumi.CustomResourceOptions },
): k8s.helm.v3.Release {
  const ns = ctx.platform.appNamespace;
  const { crOpts, ...child } = opts;
  const pin = CHARTS.postgresExporter;
  const selector = selectorLabels(labels);
  const release = new k8s.helm.v3.Release(
    NAME,
    {
      name: NAME,
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      namespace: ns,
      createNamespace: false,
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
      maxHistory: 10,
      values: exporterValues(ctx, labels),
    },
    child,
  );
  const { monitoring } = ctx.platform;
  new k8s.networking.v1.NetworkPolicy(
    NAME,
    {
      metadata: objectMeta(NAME, ns, labels),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": monitoring.namespace } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
              },
            ],
            ports: [{ protocol: "TCP", port: EXPORTER_PORT }],
          },
        ],
        egress: [postgresEgress(ctx)],
      },
    },
    child,
  );
  const prod = ctx.config.environment === "prod";
  new k8s.policy.v1.PodDisruptionBudget(
    NAME,
    {
      metadata: objectMeta(NAME, ns, labels),
      spec: {
        selector: { matchLabels: selector },
        ...(prod ? { minAvailable: PROD_MIN_AVAILABLE } : { maxUnavailable: 1 }),
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    },
    child,
  );
  new k8s.apiextensions.CustomResource(
    NAME,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: objectMeta(NAME, ns, monitoringLabels(ctx, labels)),
      spec: {
        selector: { matchLabels: selector },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [{ port: EXPORTER_PORT_NAME, path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
      },
    },
    { ...crOpts, dependsOn: [...((crOpts.dependsOn as pulumi.Resource[]) ?? []), release] },
  );
  return release;
}
