/**
 * The one pinned table of everything the platform installs from upstream. Chart names, repositories
 * and versions appear nowhere else: bump a version here and the plan, the policy pack and the tests
 * all see it. Every entry was checked against the chart's published Chart.yaml/values (README.md);
 * versions are exact, never ranges, so a `pulumi up` next month installs the same bits.
 */

export interface ChartPin {
  /** Chart name inside the repository. */
  chart: string;
  /** Classic Helm repository over HTTPS (Release.repositoryOpts.repo). */
  repo: string;
  /** Exact chart version. */
  version: string;
  /** Version of the software the chart ships (used for app.kubernetes.io/version labels). */
  appVersion: string;
}

const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";
const ISTIO_VERSION = "1.30.3";

export const CHARTS = {
  // Strimzi 1.x: KRaft only, serves only kafka.strimzi.io/v1.
  strimzi: {
    chart: "strimzi-kafka-operator",
    repo: "https://strimzi.io/charts",
    version: "1.2.0",
    appVersion: "1.2.0",
  },
  // cert-manager v1.21: CRDs through crds.enabled (installCRDs is the deprecated spelling).
  certManager: {
    chart: "cert-manager",
    repo: "https://charts.jetstack.io",
    version: "v1.21.1",
    appVersion: "v1.21.1",
  },
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    repo: "https://prometheus-community.github.io/helm-charts",
    version: "88.5.3",
    appVersion: "v0.93.1",
  },
  // The OSS loki chart moved to grafana-community in March 2026 (loki-distributed is deprecated).
  loki: {
    chart: "loki",
    repo: "https://grafana-community.github.io/helm-charts",
    version: "18.11.0",
    appVersion: "3.7.6",
  },
  // Promtail is end of life; Alloy ships the logs.
  alloy: {
    chart: "alloy",
    repo: "https://grafana.github.io/helm-charts",
    version: "1.11.1",
    appVersion: "v1.18.1",
  },
  keda: { chart: "keda", repo: "https://kedacore.github.io/charts", version: "2.20.2", appVersion: "2.20.2" },
  gatekeeper: {
    chart: "gatekeeper",
    repo: "https://open-policy-agent.github.io/gatekeeper/charts",
    version: "3.23.0",
    appVersion: "v3.23.0",
  },
  istioBase: { chart: "base", repo: ISTIO_REPO, version: ISTIO_VERSION, appVersion: ISTIO_VERSION },
  istioCni: { chart: "cni", repo: ISTIO_REPO, version: ISTIO_VERSION, appVersion: ISTIO_VERSION },
  istiod: { chart: "istiod", repo: ISTIO_REPO, version: ISTIO_VERSION, appVersion: ISTIO_VERSION },
  istioGateway: { chart: "gateway", repo: ISTIO_REPO, version: ISTIO_VERSION, appVersion: ISTIO_VERSION },
  externalSecrets: {
    chart: "external-secrets",
    repo: "https://charts.external-secrets.io",
    version: "2.9.0",
    appVersion: "v2.9.0",
  },
  externalDns: {
    chart: "external-dns",
    repo: "https://kubernetes-sigs.github.io/external-dns",
    version: "1.21.1",
    appVersion: "0.21.0",
  },
  // EKS only (CloudLayer.nodeAutoscaler). The chart's appVersion is the newest release; the image
  // follows the cluster's minor version, as the autoscaler requires (CLUSTER_AUTOSCALER_IMAGE_TAGS).
  clusterAutoscaler: {
    chart: "cluster-autoscaler",
    repo: "https://kubernetes.github.io/autoscaler",
    version: "9.59.0",
    appVersion: "1.35.0",
  },
  // Where the managed cluster has none (CloudLayer.facts.metricsServer): EKS. The HPAs and the VPA
  // recommender read the resource metrics API it serves.
  metricsServer: {
    chart: "metrics-server",
    repo: "https://kubernetes-sigs.github.io/metrics-server/",
    version: "3.13.1",
    appVersion: "0.8.1",
  },
  velero: {
    chart: "velero",
    repo: "https://vmware-tanzu.github.io/helm-charts",
    version: "12.1.0",
    appVersion: "v1.18.1",
  },
  // Collector distribution "k8s" (image.repository below): core receivers/exporters plus the k8s ones.
  otelCollector: {
    chart: "opentelemetry-collector",
    repo: "https://open-telemetry.github.io/opentelemetry-helm-charts",
    version: "0.170.0",
    appVersion: "0.158.0",
  },
  // Single binary (tempo-distributed is the scale-out chart); moved to grafana-community with Loki.
  tempo: {
    chart: "tempo",
    repo: "https://grafana-community.github.io/helm-charts",
    version: "2.2.4",
    appVersion: "2.10.8",
  },
  // The apps layer runs it beside the managed Postgres's roles Job (it needs that namespace's login Secret).
  postgresExporter: {
    chart: "prometheus-postgres-exporter",
    repo: "https://prometheus-community.github.io/helm-charts",
    version: "8.2.0",
    appVersion: "v0.20.1",
  },
  // Fairwinds' chart of the upstream VerticalPodAutoscaler (kubernetes/autoscaler publishes none yet).
  vpa: { chart: "vpa", repo: "https://charts.fairwinds.com/stable", version: "5.0.0", appVersion: "1.7.1" },
} as const satisfies Record<string, ChartPin>;

/**
 * The upstream images the apps layer runs in the app namespace beside the stack's own (the
 * postgres-exporter chart's, at its appVersion): Gatekeeper admits their owner's repositories there.
 */
export const APP_NAMESPACE_IMAGES = {
  postgresExporter: {
    registry: "quay.io",
    owner: "prometheuscommunity",
    repository: "prometheuscommunity/postgres-exporter",
    tag: CHARTS.postgresExporter.appVersion,
  },
} as const;

/** cluster-autoscaler image per Kubernetes minor (the newest patch of each release line). */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Record<string, string> = {
  "1.30": "v1.30.7",
  "1.31": "v1.31.5",
  "1.32": "v1.32.7",
  "1.33": "v1.33.6",
  "1.34": "v1.34.5",
  "1.35": "v1.35.2",
};

export type ChartKey = keyof typeof CHARTS;

/**
 * Gateway API CRDs, standard channel. Not a Helm chart upstream: the release asset is the supported
 * install path. v1.5 is the bundle @kubernetes-models/gateway-api validates against (TLSRoute and
 * ListenerSet in v1) and the one Istio 1.30 implements.
 */
export const GATEWAY_API = {
  version: "v1.5.1",
  channel: "standard",
  get url(): string {
    return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${this.version}/${this.channel}-install.yaml`;
  },
};

/**
 * Wasm modules the gateway's Envoy loads (Istio WasmPlugin), pinned by tag and by the digest of the
 * image manifest istio-agent fetches (linux/amd64; the OCI index has another digest and would fail
 * istio-agent's check). coraza-proxy-wasm bundles the OWASP Core Rule Set 4 (@owasp_crs, @crs-setup-conf).
 */
export const WASM_MODULES = {
  coraza: {
    url: "oci://ghcr.io/corazawaf/coraza-proxy-wasm:0.6.0",
    sha256: "65d6009b9da2e8965e592a08b74a86725435fc01aa39c756dce0bd5ea64b3f4e",
    appVersion: "0.6.0",
  },
} as const;

/** Velero's object-store plugins, by the provider name the cloud layer's BackupStorage carries (Velero 1.18 pairs with 1.14). */
export const VELERO_PLUGINS = {
  aws: "velero/velero-plugin-for-aws:v1.14.2",
  gcp: "velero/velero-plugin-for-gcp:v1.14.0",
  azure: "velero/velero-plugin-for-microsoft-azure:v1.14.0",
} as const;
