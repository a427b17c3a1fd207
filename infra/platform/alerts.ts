/**
 * Alerts for the platform itself, from the seed checklist: certificates expiring within 7 days
 * or failing to issue, under-replicated Kafka partitions, consumer lag that keeps growing. Service
 * alerts belong to the apps layer; Kubernetes/node alerts come with kube-prometheus-stack.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, type PlatformContext } from "./context.ts";
import { NS } from "./namespaces.ts";

/** Consumer lag (messages) above which a growing backlog is worth a look. */
const LAG_THRESHOLD = 1000;

export function platformAlerts(
  ctx: PlatformContext,
  deps: pulumi.Resource[],
): k8s.apiextensions.CustomResource {
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string) => ({
    alert,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary },
  });
  return new k8s.apiextensions.CustomResource(
    "platform-alerts",
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: chartMeta(ctx, "kubePrometheusStack", "alerting", "platform-alerts", NS.monitoring),
      spec: {
        groups: [
          {
            name: "platform.certificates",
            rules: [
              rule(
                "CertificateExpiringSoon",
                "(certmanager_certificate_expiration_timestamp_seconds - time()) < 7 * 86400",
                "1h",
                "critical",
                "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than 7 days.",
              ),
              rule(
                "CertificateNotReady",
                'certmanager_certificate_ready_status{condition="False"} == 1',
                "15m",
                "warning",
                "Certificate {{ $labels.namespace }}/{{ $labels.name }} is not ready (issuance failing).",
              ),
            ],
          },
          {
            name: "platform.kafka",
            rules: [
              rule(
                "KafkaUnderReplicatedPartitions",
                "sum by (topic) (kafka_topic_partition_under_replicated_partition) > 0",
                "10m",
                "critical",
                "Topic {{ $labels.topic }} has under-replicated partitions.",
              ),
              rule(
                "KafkaConsumerLagGrowing",
                `sum by (consumergroup, topic) (kafka_consumergroup_lag) > ${LAG_THRESHOLD} and ` +
                  "sum by (consumergroup, topic) (deriv(kafka_consumergroup_lag[15m])) > 0",
                "15m",
                "warning",
                "Consumer group {{ $labels.consumergroup }} is falling behind on {{ $labels.topic }}.",
              ),
            ],
          },
        ],
      },
    },
    { parent: ctx.parent, dependsOn: deps },
  );
}
