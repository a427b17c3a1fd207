/**
 * A service's profile: everything that differs between services. What the service is (env, topics,
 * Postgres, whom it calls) comes from its contract in services/; how this platform runs it (sizes,
 * autoscaling, public route, SLOs) from tuning.ts. LlmService turns a profile into the full set of
 * Kubernetes objects; what is common (security, probes, labels, spreading, disruption budgets,
 * monitoring) is not a field here, so no service can opt out of it.
 */
import type { Environment } from "../config.ts";

/** A service's name, as in services/services.ts. */
export type ServiceName = string;

export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** Per-environment size: the replica range (floor = initial replicas) and container resources. */
export interface Sizing {
  replicas: { min: number; max: number };
  resources: ContainerResources;
}

export type Autoscaling =
  /** HorizontalPodAutoscaler on CPU and memory utilisation (request-driven services). */
  | { kind: "cpu-memory"; cpuPercent: number; memoryPercent: number }
  /** KEDA ScaledObject on the consumer group's lag (event-driven services), with CPU as a second signal. */
  | { kind: "kafka-lag"; lagPerReplica: number; cpuPercent: number };

/** Secrets the service reads; each becomes a key of its ExternalSecret-managed Secret. */
export type SecretNeed = "clientApiKeys" | "adminApiKeys" | "providerApiKeys";

export interface PublicRoute {
  /** Host label under config.domain (api -> api.<domain>). */
  subdomain: string;
  /** Path prefixes published through the Gateway; everything else (/metrics, /health) stays internal. */
  paths: string[];
  /** Upper bound for one request (LLM completions stream for minutes). */
  requestTimeoutSeconds: number;
  /** Long-lived WebSocket paths: their own, longer timeout. */
  websocket?: { path: string; timeoutSeconds: number };
}

export interface LatencySlo {
  /** A request is "fast" when it completes within this many seconds (a histogram bucket bound). */
  thresholdSeconds: number;
  /** Fraction of requests that must be fast, e.g. 0.99. */
  objective: number;
}

/** The request counter and latency histogram the SLO rules and dashboards read. */
export interface SliMetrics {
  /** Counter of handled requests, labelled with the HTTP status. */
  requests: string;
  statusLabel: string;
  /** Histogram of request duration in seconds. */
  duration: string;
}

export interface ServiceProfile {
  name: ServiceName;
  /** app.kubernetes.io/component: the role in the architecture. */
  component: string;
  sizing: Record<Environment, Sizing>;
  autoscaling: Autoscaling;
  /** Non-secret settings (the contract's env names, checked against its schema); they land in the ConfigMap. */
  env: Record<string, string>;
  /** Files rendered into the ConfigMap and mounted under CONFIG_MOUNT. */
  files?: Record<string, string>;
  secrets: SecretNeed[];
  /**
   * Topics by name. `groupPrefix` is what the KafkaUser's ACLs allow (KAFKA_CONSUMER_GROUP); each
   * consumed topic has its group id, or, for a topic every replica reads in a group of its own
   * (perReplica), the id those groups start with.
   */
  kafka: {
    groupPrefix: string;
    consumes: Array<{ topic: string; group: string; perReplica: boolean }>;
    produces: string[];
  };
  /** Uses the managed Postgres: its own role and schema (database.ts), migrations before rollout. */
  database: boolean;
  /** Scripts in the image: main (the container); migrate (the init container) and roles (the admin Job) for Postgres users. */
  scripts: { main: string; migrate?: string; roles?: string };
  /** Published on the platform Gateway. */
  route?: PublicRoute;
  /** In-cluster services allowed to call this one. */
  callers: ServiceName[];
  /** In-cluster services this one calls. */
  calls: ServiceName[];
  /** HTTPS (443) egress to the internet: the LLM provider APIs, an external webhook. */
  internetEgress?: boolean;
  /** The env vars the stack's anomaly webhook URL and signing secret go to (from the alerting entry). */
  anomalyWebhook?: { url: string; secret: string };
  /** Posts alerts to Alertmanager's v2 API. */
  alertmanager?: boolean;
  /** Graceful-shutdown budget (drain requests, flush the producer); sets the grace period. */
  shutdownSeconds: number;
  /** Consistent-hash affinity by this query parameter (keeps a reconnecting WebSocket session on its pod). */
  sessionAffinityQueryParam?: string;
  /** Upstream connection limits the mesh enforces in front of the service. */
  connectionPool: { maxConnections: number; maxPendingRequests: number };
  slo: { availability: number; latency: LatencySlo };
  /** Where the SLIs come from; defaults to the HTTP metrics every service exports (observability/metrics.ts). */
  sli: SliMetrics;
  /** Extra error counters (besides HTTP 5xx) that page as a high error rate, per second. */
  errorCounters?: { metricRegex: string; perSecond: number };
}
