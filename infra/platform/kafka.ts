/**
 * Strimzi (KRaft only, kafka.strimzi.io/v1) and the platform's Kafka: one cluster of dual-role
 * nodes, a mutual-TLS listener and the event topics. Who may read and write them is not the
 * platform's business: each service's KafkaUser comes with the service (apps layer, from its contract).
 */
import * as k8s from "@pulumi/kubernetes";
import { TOPICS, type TopicKey } from "../../services/shared/src/events.ts";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { installChartCrds } from "./crds.ts";
import { KAFKA } from "./names.ts";
import { NS } from "./namespaces.ts";
import { RETENTION } from "./sizing.ts";
import { STORAGE_CLASSES } from "./storage.ts";

const API_VERSION = "kafka.strimzi.io/v1";
const CLUSTER_LABEL = { "strimzi.io/cluster": KAFKA.cluster };

/** Strimzi writes the cluster CA here (kafka namespace); clients verify the brokers with it. */
export const CLUSTER_CA_SECRET = `${KAFKA.cluster}-cluster-ca-cert`;
/** The copy of the cluster CA certificate in the app namespace, kept in sync by external-secrets. */
export const APP_CA_SECRET = "kafka-cluster-ca";

export interface KafkaPlatform {
  operator: k8s.helm.v3.Release;
  cluster: k8s.apiextensions.CustomResource;
  nodePool: k8s.apiextensions.CustomResource;
  topics: k8s.apiextensions.CustomResource[];
  /** ExternalSecret copying the cluster CA certificate into the app namespace. */
  caCopy: k8s.apiextensions.CustomResource;
}

export function installKafka(
  ctx: PlatformContext,
  deps: {
    namespaces: pulumi.Resource[];
    storage: pulumi.Resource[];
    externalSecrets: pulumi.Resource;
    /** kube-prometheus-stack: the PodMonitor CRD. */
    monitoring: pulumi.Resource;
  },
): KafkaPlatform {
  const k = ctx.sizing.kafka;
  const crds = installChartCrds(ctx, "strimzi");
  const operator = chartRelease(ctx, "strimzi", {
    namespace: NS.kafka,
    dependsOn: [...deps.namespaces, crds],
    skipCrds: true,
    values: {
      replicas: ctx.sizing.controllerReplicas,
      ...onSystemNodes(ctx.config),
      // KafkaUsers live next to the services so their client-certificate Secrets land there.
      watchNamespaces: [NS.apps],
      // Pods the operator creates satisfy the restricted Pod Security Standard.
      extraEnvs: [{ name: "STRIMZI_POD_SECURITY_PROVIDER_CLASS", value: "restricted" }],
      podDisruptionBudget: { enabled: ctx.sizing.controllerReplicas > 1 },
      dashboards: { enabled: true },
    },
  });
  const meta = (
    component: string,
    name: string,
    namespace: string,
    labels: Record<string, string> = CLUSTER_LABEL,
  ) => chartMeta(ctx, "strimzi", component, name, namespace, { labels });
  const after = { parent: ctx.parent, dependsOn: [operator] };

  const nodePool = new k8s.apiextensions.CustomResource(
    `${KAFKA.cluster}-${KAFKA.nodePool}`,
    {
      apiVersion: API_VERSION,
      kind: "KafkaNodePool",
      metadata: meta("broker", KAFKA.nodePool, KAFKA.namespace),
      spec: {
        replicas: k.nodes,
        // Dual-role nodes: a separate controller quorum is not worth three more pods at this size.
        roles: ["controller", "broker"],
        storage: {
          type: "jbod",
          volumes: [
            {
              id: 0,
              type: "persistent-claim",
              size: k.storageSize,
              class: STORAGE_CLASSES.fast,
              deleteClaim: false,
              kraftMetadata: "shared",
            },
          ],
        },
        resources: k.resources,
        template: {
          pod: {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "topology.kubernetes.io/zone",
                whenUnsatisfiable: k.rackAware ? "DoNotSchedule" : "ScheduleAnyway",
                labelSelector: { matchLabels: { ...CLUSTER_LABEL, "strimzi.io/pool-name": KAFKA.nodePool } },
              },
            ],
          },
        },
      },
    },
    { parent: ctx.parent, dependsOn: [operator, ...deps.storage] },
  );

  const cluster = new k8s.apiextensions.CustomResource(
    KAFKA.cluster,
    {
      apiVersion: API_VERSION,
      kind: "Kafka",
      metadata: meta("cluster", KAFKA.cluster, KAFKA.namespace, {}),
      spec: {
        kafka: {
          // version/metadataVersion omitted: the pinned operator runs its default Kafka release.
          listeners: [
            {
              name: KAFKA.tlsListener,
              port: KAFKA.tlsPort,
              type: "internal",
              tls: true,
              authentication: { type: "tls" },
              networkPolicyPeers: [NS.apps, NS.keda].map((ns) => ({
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
              })),
            },
          ],
          authorization: { type: "simple" },
          config: {
            "default.replication.factor": k.replicationFactor,
            "min.insync.replicas": k.minInsyncReplicas,
            "offsets.topic.replication.factor": k.replicationFactor,
            "transaction.state.log.replication.factor": k.replicationFactor,
            "transaction.state.log.min.isr": k.minInsyncReplicas,
            // Topics come from KafkaTopic objects only; a typo in a producer must not create one.
            "auto.create.topics.enable": false,
          },
          ...(k.rackAware ? { rack: { topologyKey: "topology.kubernetes.io/zone" } } : {}),
          // Broker metrics straight from Kafka (no JMX agent), scraped by the PodMonitor below.
          metricsConfig: {
            type: "strimziMetricsReporter",
            values: {
              allowList: ["kafka_server_.*", "kafka_controller_.*", "kafka_network_.*", "kafka_log_.*"],
            },
          },
        },
        entityOperator: {
          topicOperator: {},
          userOperator: { watchedNamespace: NS.apps },
        },
        // Consumer-lag metrics for alerts and KEDA.
        kafkaExporter: { topicRegex: "llm\\..*", groupRegex: ".*" },
      },
    },
    { parent: ctx.parent, dependsOn: [operator, nodePool] },
  );

  const topics = (Object.keys(TOPICS) as TopicKey[]).map(
    (t) =>
      new k8s.apiextensions.CustomResource(
        TOPICS[t],
        {
          apiVersion: API_VERSION,
          kind: "KafkaTopic",
          metadata: meta("topic", TOPICS[t], KAFKA.namespace),
          spec: {
            topicName: TOPICS[t],
            partitions: k.partitions[t],
            replicas: k.replicationFactor,
            config: {
              "retention.ms": RETENTION[t],
              "min.insync.replicas": k.minInsyncReplicas,
              "cleanup.policy": "delete",
            },
          },
        },
        { ...after, dependsOn: [operator, cluster] },
      ),
  );

  const caCopy = copyClusterCa(ctx, [cluster, deps.externalSecrets, ...deps.namespaces]);
  new k8s.apiextensions.CustomResource(
    `${KAFKA.cluster}-metrics`,
    {
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PodMonitor",
      metadata: meta("metrics", `${KAFKA.cluster}-metrics`, KAFKA.namespace, {}),
      spec: {
        // Brokers (metrics reporter) and the Kafka Exporter both serve on the tcp-prometheus port.
        selector: { matchLabels: CLUSTER_LABEL },
        podMetricsEndpoints: [{ port: "tcp-prometheus", path: "/metrics" }],
      },
    },
    { parent: ctx.parent, dependsOn: [deps.monitoring, cluster] },
  );
  return { operator, cluster, nodePool, topics, caCopy };
}

/**
 * The services mount the cluster CA next to their KafkaUser certificates, but Strimzi writes it
 * in the kafka namespace. A namespaced SecretStore (Kubernetes provider) whose ServiceAccount may
 * read exactly that one Secret lets external-secrets keep a copy in the app namespace, renewed
 * when Strimzi rotates the CA.
 */
function copyClusterCa(ctx: PlatformContext, deps: pulumi.Resource[]): k8s.apiextensions.CustomResource {
  const reader = "kafka-ca-reader";
  const meta = (component: string, name: string, namespace: string) =>
    chartMeta(ctx, "strimzi", component, name, namespace);
  const opts = { parent: ctx.parent, dependsOn: deps };
  const sa = new k8s.core.v1.ServiceAccount(
    `${NS.apps}-${reader}`,
    { metadata: meta("ca-sync", reader, NS.apps), automountServiceAccountToken: false },
    opts,
  );
  const role = new k8s.rbac.v1.Role(
    `${KAFKA.namespace}-${reader}`,
    {
      metadata: meta("ca-sync", reader, KAFKA.namespace),
      rules: [
        {
          apiGroups: [""],
          resources: ["secrets"],
          resourceNames: [CLUSTER_CA_SECRET],
          verbs: ["get", "list", "watch"],
        },
      ],
    },
    opts,
  );
  const binding = new k8s.rbac.v1.RoleBinding(
    `${KAFKA.namespace}-${reader}`,
    {
      metadata: meta("ca-sync", reader, KAFKA.namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: reader },
      subjects: [{ kind: "ServiceAccount", name: reader, namespace: NS.apps }],
    },
    { ...opts, dependsOn: [...deps, role, sa] },
  );
  const store = new k8s.apiextensions.CustomResource(
    `${NS.apps}-${APP_CA_SECRET}-store`,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: meta("ca-sync", APP_CA_SECRET, NS.apps),
      spec: {
        provider: {
          kubernetes: {
            remoteNamespace: KAFKA.namespace,
            server: { caProvider: { type: "ConfigMap", name: "kube-root-ca.crt", key: "ca.crt" } },
            auth: { serviceAccount: { name: reader } },
          },
        },
      },
    },
    { ...opts, dependsOn: [...deps, binding] },
  );
  return new k8s.apiextensions.CustomResource(
    `${NS.apps}-${APP_CA_SECRET}`,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: meta("ca-sync", APP_CA_SECRET, NS.apps),
      spec: {
        refreshInterval: "1h",
        secretStoreRef: { kind: "SecretStore", name: APP_CA_SECRET },
        target: { name: APP_CA_SECRET, creationPolicy: "Owner" },
        data: [{ secretKey: "ca.crt", remoteRef: { key: CLUSTER_CA_SECRET, property: "ca.crt" } }],
      },
    },
    { ...opts, dependsOn: [...deps, store] },
  );
}
