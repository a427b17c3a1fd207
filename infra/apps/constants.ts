/**
 * The in-cluster contract every service shares (docs/architecture.md, "Services"), named once so the
 * Deployment, Service, probes, NetworkPolicies and monitors can never disagree.
 */

/** Every container listens here; the port is named so Services and monitors refer to it by name. */
export const HTTP_PORT = 8080;
export const HTTP_PORT_NAME = "http";

export const PATHS = {
  liveness: "/health",
  readiness: "/ready",
  metrics: "/metrics",
} as const;

/**
 * The namespace enforces mTLS STRICT, so Prometheus (outside the mesh) cannot scrape :8080 in
 * plaintext. Istio's metrics merging has the sidecar agent scrape the app over localhost and serve
 * app + proxy metrics on :15020, which the mesh does not intercept: the documented STRICT setup.
 */
export const MERGED_METRICS = {
  port: 15020,
  portName: "http-monitoring",
  path: "/stats/prometheus",
} as const;

/** The image's non-root user (services/Dockerfile: USER 1001). */
export const APP_UID = 1001;

/** Writable scratch space on an otherwise read-only root filesystem. */
export const TMP_DIR = "/tmp";

/** Mount points of the Kafka client credentials (KafkaUser secret) and the cluster CA. */
export const KAFKA_MOUNTS = { user: "/etc/kafka/user", ca: "/etc/kafka/ca" } as const;

/**
 * The managed Postgres's CA bundle (CloudPostgres.tls): one ConfigMap in the app namespace, mounted
 * read-only into every Postgres user's pods; DATABASE_CA_FILE points the pg driver at the file.
 */
export const POSTGRES_CA = {
  configMap: "postgres-ca",
  key: "ca.pem",
  mount: "/etc/postgres-ca",
  get file(): string {
    return `${this.mount}/${this.key}`;
  },
} as const;

/** Mount point of files rendered from the service ConfigMap (e.g. the router's provider catalogue). */
export const CONFIG_MOUNT = "/etc/llmops";

/** Istio's default trust domain: workload identities are spiffe://cluster.local/ns/<ns>/sa/<sa>. */
export const MESH_TRUST_DOMAIN = "cluster.local";

/** Istio's control plane; sidecars fetch config and certificates from istiod there. */
export const ISTIO_SYSTEM_NAMESPACE = "istio-system";

/** Seconds the pod keeps serving after SIGTERM is scheduled, while endpoints are withdrawn. */
export const PRE_STOP_SLEEP_SECONDS = 5;

/** kube-prometheus-stack selects ServiceMonitors and PrometheusRules by this label key. */
export const PROMETHEUS_RELEASE_LABEL_KEY = "release";
