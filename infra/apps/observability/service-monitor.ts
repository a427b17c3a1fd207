/** The ServiceMonitor that makes Prometheus scrape a service (kube-prometheus-stack selects it by release label). */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../../lib/labels.ts";
import { MERGED_METRICS, PROMETHEUS_RELEASE_LABEL_KEY } from "../constants.ts";
import { type AppsContext, selectorLabels } from "../context.ts";
import type { ServiceProfile } from "../profile.ts";

export function monitoringLabels(ctx: AppsContext, labels: Labels): Labels {
  return { ...labels, [PROMETHEUS_RELEASE_LABEL_KEY]: ctx.platform.monitoring.prometheusReleaseLabel };
}

export function serviceMonitor(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    profile.name,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, monitoringLabels(ctx, labels)),
      spec: {
        selector: { matchLabels: selectorLabels(labels) },
        namespaceSelector: { matchNames: [ctx.platform.appNamespace] },
        endpoints: [
          {
            // App metrics merged with the sidecar's, served in plaintext outside mTLS (constants.ts).
            port: MERGED_METRICS.portName,
            path: MERGED_METRICS.path,
            interval: "30s",
            scrapeTimeout: "10s",
            honorLabels: false,
          },
        ],
      },
    },
    opts,
  );
}
