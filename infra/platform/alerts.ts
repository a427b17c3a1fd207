/**
 * Alerts for the platform itself, from the seed checklist: certificates expiring within 7 days
 * or failing to issue, under-replicated Kafka partitions, consumer lag that keeps growing, and the
 * managed Postgres (from postgres_exporter's metrics): connections near max_connections, deadlocks,
 * a transaction open for minutes, and the exporter unable to log in. Service
 * alerts belong to the apps layer; Kubernetes/node alerts come with kube-prometheus-stack.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, type PlatformContext } from "./context.ts";
import { NS } from "./namespaces.ts";

/** Consumer lag (messages) above which a growing backlog is worth a look. */
const LAG_THRESHOLD = 1000;
/** Share of max_connections in use above which new connections are about to be refused. */
const CONNECTIONS_RATIO = 0.8;
/** Seconds a transaction may stay open before it holds back vacuum and locks for others. */
const LONG_TRANSACTION_SECONDS = 300;

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
          {
            // The exporter runs several replicas: each series is taken once (max).
            name: "platform.postgres",
            rules: [
              rule(
                "PostgresExporterDown",
                "max(pg_up) < 1",
                "10m",
                "warning",
                "postgres_exporter cannot log in to the managed Postgres: check the postgres-exporter pods' logs " +
                  "and that the roles Job provisioned the monitoring login.",
              ),
              rule(
                "PostgresConnectionsNearLimit",
                "sum(max by (datname) (pg_stat_database_numbackends)) > " +
                  `${CONNECTIONS_RATIO} * max(pg_settings_max_connections)`,
                "10m",
                "warning",
                `Postgres has more than ${CONNECTIONS_RATIO * 100} % of max_connections in use: check the services' ` +
                  "pool sizes times replicas against the server's max_connections.",
              ),
              rule(
                "PostgresDeadlocks",
                "max by (datname) (increase(pg_stat_database_deadlocks[10m])) > 0",
                "1m",
                "warning",
                "Deadlocks in database {{ $labels.datname }}: the server log names the statements; look for " +
                  "transactions that lock the same rows in different orders.",
              ),
              rule(
                "PostgresLongTransaction",
                `max by (datname, usename) (pg_stat_activity_max_tx_duration) > ${LONG_TRANSACTION_SECONDS}`,
                "5m",
                "warning",
                `A transaction of {{ $labels.usename }} in {{ $labels.datname }} has been open for more than ` +
                  `${LONG_TRANSACTION_SECONDS / 60} minutes: find it in pg_stat_activity (xact_start) and end it ` +
                  "with pg_cancel_backend if it is stuck.",
              ),
            ],
          },
        ],
      },
    },
    { parent: ctx.parent, dependsOn: deps },
  );
}
