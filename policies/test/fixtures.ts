/** A small, realistic, compliant prod inventory (as `npm run plan` writes it) and builders for its parts. */
import type { Inventory, InventoryResource } from "../offline/index.ts";

export const PROJECT = "llmops";
export const STACK = "prod";
export const TAGS = { environment: "prod", project: PROJECT, stack: STACK };

export const urnOf = (type: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;

export function res(
  type: string,
  name: string,
  inputs: Record<string, any>,
  extra: Partial<InventoryResource> = {},
) {
  return { urn: urnOf(type, name), type, name, dependsOn: [], inputs, ...extra } as InventoryResource;
}

export function labels(name: string, component = "api", extra: Record<string, string> = {}) {
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": `${name}-prod`,
    "app.kubernetes.io/version": "1.4.2",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/part-of": "llmops",
    "app.kubernetes.io/managed-by": "pulumi",
    environment: "prod",
    ...extra,
  };
}

const sel = (name: string) => ({
  "app.kubernetes.io/name": name,
  "app.kubernetes.io/instance": `${name}-prod`,
});

export function namespace(name: string, level = "restricted") {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...labels(name, "namespace"),
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
      },
    },
  };
}

export function deployment(name = "router", ns = "llmops") {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      replicas: 3,
      selector: { matchLabels: sel(name) },
      template: {
        metadata: { labels: labels(name) },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "topology.kubernetes.io/zone",
              whenUnsatisfiable: "DoNotSchedule",
              labelSelector: { matchLabels: sel(name) },
            },
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: sel(name) },
            },
          ],
          containers: [
            {
              name,
              image: `ghcr.io/acme/llmops/${name}:1.4.2`,
              ports: [{ name: "http", containerPort: 8080 }],
              env: [
                { name: "PORT", value: "8080" },
                { name: "KAFKA_BROKERS", value: "llmops-kafka-bootstrap.kafka:9093" },
                {
                  name: "API_KEYS",
                  valueFrom: { secretKeyRef: { name: `${name}-secrets`, key: "API_KEYS" } },
                },
                {
                  name: "DATABASE_URL",
                  valueFrom: { secretKeyRef: { name: `${name}-secrets`, key: "DATABASE_URL" } },
                },
              ],
              resources: {
                requests: { cpu: "250m", memory: "256Mi" },
                limits: { cpu: "1", memory: "512Mi" },
              },
              livenessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 10 },
              readinessProbe: { httpGet: { path: "/ready", port: "http" }, periodSeconds: 5 },
              securityContext: {
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}

export function service(name = "router", ns = "llmops") {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      type: "ClusterIP",
      selector: sel(name),
      ports: [{ name: "http", port: 8080, targetPort: "http" }],
    },
  };
}

export function pdb(name = "router", ns = "llmops") {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: { minAvailable: 2, selector: { matchLabels: sel(name) } },
  };
}

export function hpa(name = "router", ns = "llmops") {
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: 3,
      maxReplicas: 12,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    },
  };
}

export function scaledObject(name = "cost-api", ns = "llmops") {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      scaleTargetRef: { name },
      minReplicaCount: 3,
      maxReplicaCount: 10,
      triggers: [
        { type: "kafka", metadata: { topic: "llm.traces", consumerGroup: name, lagThreshold: "100" } },
      ],
    },
  };
}

export function serviceMonitor(name = "router", ns = "llmops") {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      selector: { matchLabels: sel(name) },
      endpoints: [{ port: "http", path: "/metrics", interval: "30s" }],
    },
  };
}

export function prometheusRule(name = "router", ns = "llmops") {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: { name: `${name}-alerts`, namespace: ns, labels: labels(name) },
    spec: {
      groups: [
        {
          name,
          rules: [
            {
              alert: `${name}Down`,
              expr: `up{job="${name}"} == 0`,
              for: "5m",
              labels: { severity: "critical" },
            },
          ],
        },
      ],
    },
  };
}

export function defaultDeny(ns = "llmops") {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny", namespace: ns, labels: labels("default-deny", "network-policy") },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
  };
}

export function allowPolicy(name = "router", ns = "llmops") {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: `${name}-allow`, namespace: ns, labels: labels(name, "network-policy") },
    spec: {
      podSelector: { matchLabels: sel(name) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-ingress" } } }],
        },
      ],
      egress: [{ ports: [{ port: 53, protocol: "UDP" }] }],
    },
  };
}

export function configMap(name = "router-config", ns = "llmops") {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: ns, labels: labels("router", "config") },
    data: {
      ROUTING_STRATEGY: "balanced",
      TRACE_PROXY_URL: "http://trace-proxy.llmops:8080",
      CACHE_ENABLED: "true",
    },
  };
}

export function gateway(ns = "istio-ingress") {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: {
      name: "public",
      namespace: ns,
      labels: labels("public-gateway", "gateway"),
      annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-dns01" },
    },
    spec: {
      gatewayClassName: "istio",
      listeners: [
        {
          name: "https",
          hostname: "api.llmops.example.com",
          port: 443,
          protocol: "HTTPS",
          tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "api-llmops-tls" }] },
          allowedRoutes: { namespaces: { from: "All" } },
        },
      ],
    },
  };
}

export function ingress() {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "legacy",
      namespace: "llmops",
      labels: labels("legacy", "ingress"),
      annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-dns01" },
    },
    spec: {
      tls: [{ hosts: ["legacy.llmops.example.com"], secretName: "legacy-tls" }],
      rules: [{ host: "legacy.llmops.example.com", http: { paths: [] } }],
    },
  };
}

export function httpRoute(name = "router", ns = "llmops") {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: ns, labels: labels(name) },
    spec: {
      hostnames: ["api.llmops.example.com"],
      parentRefs: [{ name: "public", namespace: "istio-ingress", sectionName: "https" }],
      rules: [{ backendRefs: [{ name, port: 8080 }] }],
    },
  };
}

export function kafka() {
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "Kafka",
    metadata: { name: "llmops", namespace: "kafka", labels: labels("llmops-kafka", "kafka") },
    spec: {
      kafka: {
        version: "4.1.0",
        listeners: [{ name: "tls", port: 9093, type: "internal", tls: true }],
        config: {
          "default.replication.factor": 3,
          "min.insync.replicas": 2,
          "offsets.topic.replication.factor": 3,
          "transaction.state.log.replication.factor": 3,
          "transaction.state.log.min.isr": 2,
        },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  };
}

export function kafkaTopic(name = "llm.traces") {
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaTopic",
    metadata: {
      name: name.replace(/\./g, "-"),
      namespace: "kafka",
      labels: { ...labels("llmops-kafka", "topic"), "strimzi.io/cluster": "llmops" },
    },
    spec: {
      topicName: name,
      partitions: 12,
      replicas: 3,
      config: { "min.insync.replicas": 2, "retention.ms": 604800000 },
    },
  };
}

export function kafkaNodePool() {
  return {
    apiVersion: "kafka.strimzi.io/v1",
    kind: "KafkaNodePool",
    metadata: {
      name: "brokers",
      namespace: "kafka",
      labels: { ...labels("llmops-kafka", "broker"), "strimzi.io/cluster": "llmops" },
    },
    spec: {
      replicas: 3,
      roles: ["controller", "broker"],
      storage: { type: "persistent-claim", size: "100Gi" },
    },
  };
}

export const helmRelease = (
  name: string,
  chart: string,
  version: string,
  repo: string,
  namespace: string,
  values: any,
) => ({
  name,
  chart,
  version,
  namespace,
  repositoryOpts: { repo },
  values,
});

export const promStack = () =>
  helmRelease(
    "kube-prometheus-stack",
    "kube-prometheus-stack",
    "88.5.3",
    "https://prometheus-community.github.io/helm-charts",
    "monitoring",
    {
      prometheus: { prometheusSpec: { retention: "30d", replicas: 2 } },
      alertmanager: { alertmanagerSpec: { replicas: 3 } },
    },
  );
export const loki = () =>
  helmRelease("loki", "loki", "18.11.0", "https://grafana-community.github.io/helm-charts", "logging", {
    loki: {
      limits_config: { retention_period: "744h" },
      compactor: { retention_enabled: true, delete_request_store: "s3" },
    },
  });
export const gatekeeperRelease = () =>
  helmRelease(
    "gatekeeper",
    "gatekeeper",
    "3.23.0",
    "https://open-policy-agent.github.io/gatekeeper/charts",
    "gatekeeper-system",
    {
      replicas: 3,
      enableK8sNativeValidation: true,
    },
  );

/** The gateway's WAF as the platform renders it: Coraza with the CRS, blocking, failing closed. */
export function wasmPlugin(ns = "istio-ingress") {
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: { name: "coraza-waf", namespace: ns, labels: labels("coraza-waf", "waf") },
    spec: {
      selector: { matchLabels: { istio: "ingress" } },
      url: "oci://ghcr.io/corazawaf/coraza-proxy-wasm:0.6.0",
      phase: "AUTHN",
      failStrategy: "FAIL_CLOSE",
      pluginConfig: {
        directives_map: {
          default: [
            "Include @recommended-conf",
            "SecRuleEngine On",
            "Include @crs-setup-conf",
            "Include @owasp_crs/*.conf",
          ],
        },
        default_directives: "default",
      },
    },
  };
}

/** Velero with a snapshotting schedule per stateful namespace (kafka, monitoring), 30 days. */
export const veleroRelease = () =>
  helmRelease("velero", "velero", "12.1.0", "https://vmware-tanzu.github.io/helm-charts", "velero", {
    schedules: Object.fromEntries(
      ["kafka", "monitoring"].map((ns) => [
        `stateful-${ns}`,
        {
          schedule: "0 3 * * *",
          template: { includedNamespaces: [ns], snapshotVolumes: true, ttl: "720h0m0s" },
        },
      ]),
    ),
  });

export const eks = () => ({
  name: "llmops-prod",
  version: "1.33",
  roleArn: "arn:aws:iam::123456789012:role/llmops-prod-eks",
  vpcConfig: {
    subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
    endpointPrivateAccess: true,
    endpointPublicAccess: true,
    publicAccessCidrs: ["203.0.113.0/24"],
  },
  encryptionConfig: {
    resources: ["secrets"],
    provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc" },
  },
  enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
  tags: { ...TAGS },
});
export const kmsKey = () => ({
  description: "llmops prod",
  enableKeyRotation: true,
  deletionWindowInDays: 30,
  tags: { ...TAGS },
});
export const awsSecret = () => ({
  name: "llmops/prod/providers",
  kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/abc",
  tags: { ...TAGS },
});
export const rdsCluster = () => ({
  engine: "aurora-postgresql",
  engineVersion: "16.4",
  clusterIdentifier: "llmops-prod",
  storageEncrypted: true,
  kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/abc",
  backupRetentionPeriod: 14,
  deletionProtection: true,
  dbSubnetGroupName: "llmops-prod-db",
  tags: { ...TAGS },
});
export const rdsInstance = (i: number) => ({
  clusterIdentifier: "llmops-prod",
  engine: "aurora-postgresql",
  instanceClass: "db.r6g.large",
  publiclyAccessible: false,
  identifier: `llmops-prod-${i}`,
  tags: { ...TAGS },
});
export const zone = () => ({ name: "llmops.example.com", tags: { ...TAGS } });

const K = (apiVersionKind: string) => `kubernetes:${apiVersionKind}`;
export const T = {
  ns: K("core/v1:Namespace"),
  deploy: K("apps/v1:Deployment"),
  svc: K("core/v1:Service"),
  pdb: K("policy/v1:PodDisruptionBudget"),
  hpa: K("autoscaling/v2:HorizontalPodAutoscaler"),
  so: K("keda.sh/v1alpha1:ScaledObject"),
  sm: K("monitoring.coreos.com/v1:ServiceMonitor"),
  pr: K("monitoring.coreos.com/v1:PrometheusRule"),
  np: K("networking.k8s.io/v1:NetworkPolicy"),
  cm: K("core/v1:ConfigMap"),
  gw: K("gateway.networking.k8s.io/v1:Gateway"),
  route: K("gateway.networking.k8s.io/v1:HTTPRoute"),
  ing: K("networking.k8s.io/v1:Ingress"),
  kafka: K("kafka.strimzi.io/v1:Kafka"),
  topic: K("kafka.strimzi.io/v1:KafkaTopic"),
  pool: K("kafka.strimzi.io/v1:KafkaNodePool"),
  helm: K("helm.sh/v3:Release"),
  wasm: K("extensions.istio.io/v1alpha1:WasmPlugin"),
  pvc: K("core/v1:PersistentVolumeClaim"),
  schedule: K("velero.io/v1:Schedule"),
  eks: "aws:eks/cluster:Cluster",
  kms: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  rds: "aws:rds/cluster:Cluster",
  rdsi: "aws:rds/clusterInstance:ClusterInstance",
  zone: "aws:route53/zone:Zone",
};

/** Compliant prod inventory: zero violations expected in prod and dev. */
export function compliantInventory(): Inventory {
  const app = (n: string) => [
    res(T.deploy, n, deployment(n)),
    res(T.svc, n, service(n)),
    res(T.pdb, n, pdb(n)),
    res(T.sm, n, serviceMonitor(n)),
    res(T.pr, `${n}-alerts`, prometheusRule(n)),
    res(T.np, `${n}-allow`, allowPolicy(n)),
  ];
  const cluster = res(T.rds, "db", rdsCluster());
  const resources: InventoryResource[] = [
    res(T.ns, "llmops", namespace("llmops")),
    res(T.ns, "istio-ingress", namespace("istio-ingress", "baseline")),
    res(T.ns, "kafka", namespace("kafka", "baseline")),
    res(T.np, "llmops-default-deny", defaultDeny("llmops")),
    res(T.np, "istio-ingress-default-deny", defaultDeny("istio-ingress")),
    res(T.np, "kafka-default-deny", defaultDeny("kafka")),
    ...app("router"),
    res(T.hpa, "router", hpa("router")),
    ...app("cost-api"),
    res(T.so, "cost-api", scaledObject("cost-api")),
    res(T.cm, "router-config", configMap()),
    res(T.gw, "public", gateway()),
    res(T.wasm, "coraza-waf", wasmPlugin()),
    res(T.route, "router", httpRoute()),
    res(T.kafka, "llmops", kafka()),
    res(T.topic, "llm-traces", kafkaTopic()),
    res(T.pool, "brokers", kafkaNodePool()),
    res(T.helm, "kube-prometheus-stack", promStack()),
    res(T.helm, "loki", loki()),
    res(T.helm, "gatekeeper", gatekeeperRelease()),
    res(T.helm, "velero", veleroRelease()),
    res(T.eks, "cluster", eks()),
    res(T.kms, "key", kmsKey()),
    res(T.secret, "providers", awsSecret()),
    cluster,
    res(T.rdsi, "db-1", rdsInstance(1), { parent: cluster.urn }),
    res(T.rdsi, "db-2", rdsInstance(2), { parent: cluster.urn }),
    res(T.zone, "zone", zone()),
  ];
  return { project: PROJECT, stack: STACK, config: { environment: "prod", cloud: "aws" }, resources };
}

export function find(inv: Inventory, type: string, name: string): InventoryResource {
  const r = inv.resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`fixture ${type} ${name} not found`);
  return r;
}
