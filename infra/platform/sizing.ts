/**
 * Everything that differs between dev and prod, typed and in one table. Modules read their slice
 * from here and never branch on the environment themselves, so a reviewer compares dev and prod
 * side by side. Nothing here differs per cloud: what does arrives through CloudLayer.
 */
import type { TopicKey } from "../../services/shared/src/events.ts";
import type { Environment } from "../config.ts";

export interface PlatformSizing {
  /** Replicas of stateless controllers (cert-manager, KEDA, ESO, external-dns, istiod). */
  controllerReplicas: number;
  /** Gatekeeper webhook replicas: admission is on every write's path. */
  gatekeeperReplicas: number;
  kafka: {
    /** Dual-role (controller + broker) KRaft nodes. */
    nodes: number;
    replicationFactor: number;
    minInsyncReplicas: number;
    storageSize: string;
    /** broker.rack from the zone label: replicas spread across zones. */
    rackAware: boolean;
    /** Partitions per topic (llm.traces carries the bulk). */
    partitions: Record<TopicKey, number>;
    resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  };
  prometheus: { replicas: number; storageSize: string; retentionSize: string };
  alertmanager: { replicas: number; storageSize: string };
  grafana: { replicas: number };
  loki: { replicas: number; storageSize: string };
  alloy: { replicas: number };
  /** OpenTelemetry Collector (stateless gateway) and Tempo (single binary on a volume). */
  tracing: {
    collectorReplicas: number;
    collectorResources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
    /** Tempo's volume when it holds the blocks (backend local). */
    tempoStorageSize: string;
    /** Tempo's volume when the blocks are in object storage: the write-ahead log only. */
    tempoWalSize: string;
    tempoResources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
  };
  gateway: { minReplicas: number; maxReplicas: number };
  /** Let's Encrypt issuer for the public certificate: staging in dev avoids prod rate limits. */
  publicIssuer: "letsencrypt-staging" | "letsencrypt-prod";
  /** VolumeSnapshotClass deletion policy: prod keeps snapshots when the object goes. */
  snapshotDeletionPolicy: "Retain" | "Delete";
  /** StorageClass reclaim policy: prod keeps the disk of an accidentally deleted PVC. */
  volumeReclaimPolicy: "Retain" | "Delete";
  /** external-dns: prod never deletes records it did not create in this run (upsert-only). */
  dnsPolicy: "sync" | "upsert-only";
}

export const SIZING: Record<Environment, PlatformSizing> = {
  dev: {
    controllerReplicas: 1,
    gatekeeperReplicas: 1,
    kafka: {
      nodes: 1,
      replicationFactor: 1,
      minInsyncReplicas: 1,
      storageSize: "20Gi",
      rackAware: false,
      partitions: { traces: 3, anomalies: 1, budgets: 1 },
      resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } },
    },
    prometheus: { replicas: 1, storageSize: "20Gi", retentionSize: "18GB" },
    alertmanager: { replicas: 1, storageSize: "1Gi" },
    grafana: { replicas: 1 },
    loki: { replicas: 1, storageSize: "20Gi" },
    alloy: { replicas: 1 },
    tracing: {
      collectorReplicas: 1,
      collectorResources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
      tempoStorageSize: "10Gi",
      tempoWalSize: "5Gi",
      tempoResources: { requests: { cpu: "100m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    },
    gateway: { minReplicas: 1, maxReplicas: 2 },
    publicIssuer: "letsencrypt-staging",
    snapshotDeletionPolicy: "Delete",
    volumeReclaimPolicy: "Delete",
    dnsPolicy: "sync",
  },
  prod: {
    controllerReplicas: 2,
    gatekeeperReplicas: 3,
    kafka: {
      nodes: 3,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      storageSize: "200Gi",
      rackAware: true,
      partitions: { traces: 12, anomalies: 3, budgets: 3 },
      resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { memory: "4Gi" } },
    },
    prometheus: { replicas: 2, storageSize: "200Gi", retentionSize: "180GB" },
    alertmanager: { replicas: 2, storageSize: "5Gi" },
    grafana: { replicas: 2 },
    loki: { replicas: 3, storageSize: "50Gi" },
    alloy: { replicas: 2 },
    tracing: {
      collectorReplicas: 2,
      collectorResources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } },
      tempoStorageSize: "100Gi",
      tempoWalSize: "20Gi",
      tempoResources: { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } },
    },
    gateway: { minReplicas: 2, maxReplicas: 6 },
    publicIssuer: "letsencrypt-prod",
    snapshotDeletionPolicy: "Retain",
    volumeReclaimPolicy: "Retain",
    dnsPolicy: "upsert-only",
  },
};

/** Retention is the same everywhere: the checklist's numbers, not a cost knob. */
export const RETENTION = {
  /** Prometheus TSDB. */
  metrics: "30d",
  /** Loki: 31 days, as hours because Loki's retention_period takes a duration. */
  logs: "744h",
  /** Tempo: seven days of spans (incidents are investigated within the week; metrics keep the trend). */
  spans: "168h",
  /** Kafka topics, in milliseconds (retention.ms). */
  traces: 7 * 24 * 3600 * 1000,
  anomalies: 30 * 24 * 3600 * 1000,
  budgets: 30 * 24 * 3600 * 1000,
} as const;
