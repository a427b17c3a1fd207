/**
 * Distributed tracing: an OpenTelemetry Collector (a stateless gateway Deployment) receives the
 * services' OTLP spans and forwards them to Grafana Tempo (single binary), which Grafana queries
 * (monitoring.ts adds the datasource, with trace-to-logs into Loki). Both sit in the monitoring
 * namespace. Services never talk to Tempo: the collector is the one endpoint they know, so the
 * backend can change (or sampling and batching can be tuned) without touching a service.
 *
 * Tempo keeps its blocks in the cloud's object storage where the cloud layer gives it a bucket
 * (platform.tracing.objectStorage, prod by default), reaching it as its own ServiceAccount's workload
 * identity (IRSA, GKE Workload Identity, Entra workload identity) as Loki does; the volume then holds
 * the write-ahead log only. Otherwise (dev by default) the blocks stay on the volume (backend local).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { TRACING } from "./names.ts";
import { onSystemNodes } from "./placement.ts";
import { RETENTION } from "./sizing.ts";
import { STORAGE_CLASSES } from "./storage.ts";

/** Where services send spans (OTLP over HTTP: one protocol, no gRPC stack in the services). */
export const OTLP_HTTP_ENDPOINT = `http://${TRACING.collector.service}.${TRACING.namespace}.svc.cluster.local:${TRACING.collector.httpPort}`;
/** Tempo's query API, Grafana's datasource URL. */
export const TEMPO_URL = `http://${TRACING.tempo.service}.${TRACING.namespace}.svc.cluster.local:${TRACING.tempo.httpPort}`;
/** Grafana datasource uid (links from Loki and dashboards refer to it). */
export const TEMPO_DATASOURCE_UID = "tempo";

const NON_ROOT = 10001;
const CONTAINER_SECURITY = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};
const POD_SECURITY = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: "RuntimeDefault" },
});

export interface Tracing {
  collector: k8s.helm.v3.Release;
  tempo: k8s.helm.v3.Release;
}

/** Collector pipeline: OTLP in, memory guard, batches, OTLP/gRPC to Tempo. Nothing else listens. */
export function collectorConfig() {
  const pod = "${env:MY_POD_IP}";
  return {
    // The chart's readiness and liveness probes call this extension.
    extensions: { health_check: { endpoint: `${pod}:13133` } },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `${pod}:${TRACING.collector.grpcPort}` },
          http: { endpoint: `${pod}:${TRACING.collector.httpPort}` },
        },
      },
    },
    processors: {
      // Refuses data before the pod's memory limit is reached, so a burst is back-pressure, not an OOM kill.
      memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
      batch: { send_batch_size: 8192, timeout: "5s" },
    },
    exporters: {
      otlp: {
        endpoint: `${TRACING.tempo.service}.${TRACING.namespace}.svc.cluster.local:${TRACING.tempo.grpcPort}`,
        // In-namespace hop between two platform components; neither is in the mesh.
        tls: { insecure: true },
        sending_queue: { enabled: true, queue_size: 5000 },
        retry_on_failure: { enabled: true, max_elapsed_time: "300s" },
      },
    },
    service: {
      telemetry: {
        metrics: { readers: [{ pull: { exporter: { prometheus: { host: pod, port: 8888 } } } }] },
      },
      extensions: ["health_check"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["memory_limiter", "batch"], exporters: ["otlp"] },
      },
    },
  };
}

export function collectorValues(ctx: PlatformContext): Record<string, unknown> {
  const { tracing } = ctx.sizing;
  const replicas = tracing.collectorReplicas;
  return {
    mode: "deployment",
    fullnameOverride: TRACING.collector.service,
    image: { repository: "otel/opentelemetry-collector-k8s" },
    replicaCount: replicas,
    ...(replicas > 1 ? { podDisruptionBudget: { enabled: true, maxUnavailable: 1 } } : {}),
    resources: tracing.collectorResources,
    // The whole configuration: not merged with the chart's default (which also opens Jaeger, Zipkin
    // and a debug exporter for logs and metrics pipelines).
    alternateConfig: collectorConfig(),
    ports: {
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: false },
      // The collector's own metrics (otelcol_*), for the ServiceMonitor.
      metrics: { enabled: true },
    },
    serviceMonitor: { enabled: true },
    podSecurityContext: POD_SECURITY(NON_ROOT),
    securityContext: { ...CONTAINER_SECURITY, readOnlyRootFilesystem: true },
    ...onSystemNodes(ctx.config),
  };
}

/** The chart mounts the volume at /var/tempo; the write-ahead log is there whatever holds the blocks. */
const TEMPO_WAL = { path: "/var/tempo/wal" };
const TEMPO_LOCAL_BLOCKS = { backend: "local", local: { path: "/var/tempo/traces" } };

export function tempoValues(
  ctx: PlatformContext,
  objectStorage?: Record<string, unknown>,
): Record<string, unknown> {
  const { tracing } = ctx.sizing;
  const identity = ctx.cloud.identities.tempo;
  return {
    replicas: 1,
    tempo: {
      reportingEnabled: false,
      retention: RETENTION.spans,
      resources: tracing.tempoResources,
      securityContext: CONTAINER_SECURITY,
      // Receivers stay at the chart's defaults: its Service template reads every one of them (a
      // removed one fails the render). Only the collector sends, over OTLP/gRPC; no NetworkPolicy
      // admits the other receivers' ports from outside the namespace.
      storage: { trace: { ...(objectStorage ?? TEMPO_LOCAL_BLOCKS), wal: TEMPO_WAL } },
    },
    // The name the cloud identity trusts (the chart's default fullname is the same, but is not a contract).
    serviceAccount: {
      name: identity.serviceAccount.name,
      annotations: identity.serviceAccountAnnotations,
    },
    podLabels: identity.podLabels,
    securityContext: POD_SECURITY(NON_ROOT),
    persistence: {
      enabled: true,
      storageClassName: STORAGE_CLASSES.standard,
      accessModes: ["ReadWriteOnce"],
      size: objectStorage ? tracing.tempoWalSize : tracing.tempoStorageSize,
    },
    serviceMonitor: { enabled: true },
    ...onSystemNodes(ctx.config),
  };
}

/** undefined when platform.tracing.enabled is off (the services then get no endpoint either). */
export function installTracing(ctx: PlatformContext, deps: pulumi.Resource[]): Tracing | undefined {
  if (!ctx.config.platform.tracing.enabled) return undefined;
  if (ctx.config.platform.tracing.objectStorage && !ctx.cloud.traceStorage)
    pulumi.log.warn("cloud layer provides no traceStorage: Tempo keeps its blocks on its volume", ctx.parent);
  const tempo = chartRelease(ctx, "tempo", {
    name: TRACING.tempo.release,
    namespace: TRACING.namespace,
    dependsOn: deps,
    values: pulumi.output(ctx.cloud.traceStorage).apply((storage) => tempoValues(ctx, storage)),
  });
  const collector = chartRelease(ctx, "otelCollector", {
    name: TRACING.collector.release,
    namespace: TRACING.namespace,
    dependsOn: [...deps, tempo],
    values: collectorValues(ctx),
  });
  return { collector, tempo };
}
