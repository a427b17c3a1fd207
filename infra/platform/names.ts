/** Names other layers and modules refer to objects by (in-cluster references are by name). */
import { NS } from "../names.ts";

export const GATEWAY = {
  name: "public",
  namespace: NS.istioIngress,
  httpsListener: "https",
  /** Plain HTTP exists only to redirect to HTTPS (and to answer HTTP-01 challenges). */
  httpListener: "http",
  /** The Istio gateway Deployment/Service the Gateway binds to (installed by the gateway chart). */
  deployment: "istio-ingress",
  className: "istio",
} as const;

export const KAFKA = {
  cluster: "llmops",
  namespace: NS.kafka,
  nodePool: "dual-role",
  tlsListener: "tls",
  tlsPort: 9093,
} as const;

export const ISSUERS = { staging: "letsencrypt-staging", prod: "letsencrypt-prod" } as const;

export const SECRET_STORE = "cloud-secrets";

/**
 * Namespaces whose pods keep state on persistent volumes (Kafka's logs; Prometheus, Alertmanager and
 * Loki's volumes): each gets a Velero schedule with volume snapshots. The apps namespace keeps none
 * (its data is in the managed Postgres, backed up by the cloud).
 */
export const STATEFUL_NAMESPACES = [NS.kafka, NS.monitoring] as const;

/** The label Grafana's sidecar watches: ConfigMaps carrying it become dashboards. */
export const DASHBOARD_LABEL = "grafana_dashboard";

/**
 * kube-prometheus-stack's Alertmanager: the operator's governing Service and the label it puts on
 * every Alertmanager pod. Its v2 API is where workloads post alerts of their own.
 */
export const ALERTMANAGER = {
  service: "alertmanager-operated",
  port: 9093,
  podLabels: { "app.kubernetes.io/name": "alertmanager" },
} as const;

/**
 * Distributed tracing: services send OTLP to the collector, the collector to Tempo, Grafana reads
 * Tempo. Both run in the monitoring namespace beside Loki, so collector -> Tempo and Grafana -> Tempo
 * are same-namespace flows; the services' flow to the collector is the one that crosses namespaces.
 */
export const TRACING = {
  namespace: NS.monitoring,
  collector: {
    release: "otel-collector",
    /** The chart's fullname (fullnameOverride): Service and Deployment. */
    service: "otel-collector",
    grpcPort: 4317,
    httpPort: 4318,
    podLabels: {
      "app.kubernetes.io/name": "opentelemetry-collector",
      "app.kubernetes.io/instance": "otel-collector",
    },
  },
  tempo: {
    release: "tempo",
    service: "tempo",
    /** Tempo's HTTP API (queries, /ready, /metrics). */
    httpPort: 3200,
    grpcPort: 4317,
    podLabels: { "app.kubernetes.io/name": "tempo", "app.kubernetes.io/instance": "tempo" },
  },
} as const;
