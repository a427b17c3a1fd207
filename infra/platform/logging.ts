/**
 * Loki (grafana-community chart; 31 days retention; object storage from the cloud layer in prod)
 * and Grafana Alloy shipping every pod's logs. Alloy tails logs through the Kubernetes API
 * (loki.source.kubernetes) rather than hostPath mounts, so it needs no privileged DaemonSet and runs
 * as a small clustered Deployment that shares the targets between replicas.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_ACCOUNTS } from "../names.ts";
import { chartRelease, type PlatformContext } from "./context.ts";
import { LOKI_URL } from "./monitoring.ts";
import { RETENTION } from "./sizing.ts";
import { STORAGE_CLASSES } from "./storage.ts";

/** Loki's namespace is where the cloud layer bound Loki's workload identity. */
export const LOKI_NAMESPACE = SERVICE_ACCOUNTS.loki.namespace;

export interface Logging {
  loki: k8s.helm.v3.Release;
  alloy: k8s.helm.v3.Release;
}

export function installLogging(ctx: PlatformContext, deps: pulumi.Resource[]): Logging {
  const { sizing, cloud } = ctx;
  const identity = cloud.identities.loki;
  const objectStorage = ctx.config.environment === "prod" ? cloud.logStorage : undefined;
  if (ctx.config.environment === "prod" && !cloud.logStorage)
    pulumi.log.warn(
      "cloud layer provides no logStorage: prod Loki falls back to filesystem storage",
      ctx.parent,
    );
  const storage = objectStorage ?? pulumi.output({ type: "filesystem" });
  const replicas = objectStorage ? sizing.loki.replicas : 1;

  const loki = chartRelease(ctx, "loki", {
    namespace: LOKI_NAMESPACE,
    dependsOn: deps,
    values: pulumi.output(storage).apply((s) => {
      const type = String((s as { type?: string }).type ?? "filesystem");
      return {
        // Monolithic scales horizontally on object storage; SimpleScalable is deprecated upstream.
        deploymentMode: "Monolithic",
        loki: {
          auth_enabled: false,
          commonConfig: { replication_factor: Math.min(replicas, 3) },
          storage: s,
          schemaConfig: {
            configs: [
              {
                from: "2026-01-01",
                store: "tsdb",
                object_store: type,
                schema: "v13",
                index: { prefix: "index_", period: "24h" },
              },
            ],
          },
          limits_config: { retention_period: RETENTION.logs },
          compactor: { retention_enabled: true, delete_request_store: type },
        },
        serviceAccount: {
          name: identity.serviceAccount.name,
          annotations: identity.serviceAccountAnnotations,
        },
        singleBinary: {
          replicas,
          persistence: { storageClass: STORAGE_CLASSES.standard, size: sizing.loki.storageSize },
          podLabels: identity.podLabels,
        },
        // Only the monolithic target runs.
        read: { replicas: 0 },
        write: { replicas: 0 },
        backend: { replicas: 0 },
        // Memcached caches pay off at scale only; the canary/test pods are for chart CI.
        chunksCache: { enabled: objectStorage !== undefined },
        resultsCache: { enabled: objectStorage !== undefined },
        lokiCanary: { enabled: false },
        test: { enabled: false },
        monitoring: { serviceMonitor: { enabled: true } },
      };
    }),
  });

  const alloy = chartRelease(ctx, "alloy", {
    namespace: LOKI_NAMESPACE,
    dependsOn: [...deps, loki],
    values: {
      controller: { type: "deployment", replicas: sizing.alloy.replicas },
      alloy: {
        clustering: { enabled: true },
        configMap: { create: true, content: alloyConfig(ctx) },
        // No hostPath: logs come through the API server.
        mounts: { varlog: false, dockercontainers: false },
      },
      serviceMonitor: { enabled: true },
    },
  });
  return { loki, alloy };
}

/** Alloy pipeline: discover pods, keep useful labels, tail through the API, push to Loki. */
function alloyConfig(ctx: PlatformContext): string {
  const { config } = ctx;
  return `discovery.kubernetes "pods" {
  role = "pod"
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
  clustering {
    enabled = true
  }
}

loki.write "default" {
  endpoint {
    url = "${LOKI_URL}/loki/api/v1/push"
  }
  external_labels = {
    cluster     = "${config.project}-${config.stack}",
    environment = "${config.environment}",
  }
}
`;
}
