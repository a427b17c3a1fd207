/** Per-rule good and bad fixtures, shared by the CrossGuard tests and the Gatekeeper CEL parity tests. */
import type { InventoryResource } from "../offline/index.ts";
import * as F from "./fixtures.ts";
import { res, T } from "./fixtures.ts";

export interface Case {
  rule: string;
  name: string;
  resources: InventoryResource[];
  /** Expected: does the rule report a violation? */
  fails: boolean;
}

const clone = <X>(x: X): X => structuredClone(x);
const mut = <X>(x: X, f: (y: any) => void): X => {
  const y = clone(x);
  f(y);
  return y;
};
const c0 = (d: any) => d.spec.template.spec.containers[0];
const pod = (d: any) => d.spec.template.spec;

const D = F.deployment();
const dep = (name: string, d: any) => res(T.deploy, name, d);
const one = (rule: string, name: string, fails: boolean, r: InventoryResource): Case => ({
  rule,
  name,
  fails,
  resources: [r],
});

export const cases: Case[] = [
  // k8s-min-replicas
  one("k8s-min-replicas", "deployment with 3 replicas", false, dep("router", D)),
  one(
    "k8s-min-replicas",
    "deployment with 1 replica",
    true,
    dep(
      "router",
      mut(D, (d) => (d.spec.replicas = 1)),
    ),
  ),
  one(
    "k8s-min-replicas",
    "deployment without replicas",
    true,
    dep(
      "router",
      mut(D, (d) => delete d.spec.replicas),
    ),
  ),
  one("k8s-min-replicas", "hpa minReplicas 3", false, res(T.hpa, "router", F.hpa())),
  one(
    "k8s-min-replicas",
    "hpa minReplicas 2",
    true,
    res(
      T.hpa,
      "router",
      mut(F.hpa(), (h) => (h.spec.minReplicas = 2)),
    ),
  ),
  one(
    "k8s-min-replicas",
    "hpa without minReplicas",
    true,
    res(
      T.hpa,
      "router",
      mut(F.hpa(), (h) => delete h.spec.minReplicas),
    ),
  ),
  one("k8s-min-replicas", "scaledobject min 3", false, res(T.so, "cost-api", F.scaledObject())),
  one(
    "k8s-min-replicas",
    "scaledobject scale to zero",
    true,
    res(
      T.so,
      "cost-api",
      mut(F.scaledObject(), (s) => delete s.spec.minReplicaCount),
    ),
  ),
  // k8s-pdb-settings
  one("k8s-pdb-settings", "minAvailable 2", false, res(T.pdb, "router", F.pdb())),
  one(
    "k8s-pdb-settings",
    "minAvailable 1",
    true,
    res(
      T.pdb,
      "router",
      mut(F.pdb(), (p) => (p.spec.minAvailable = 1)),
    ),
  ),
  one(
    "k8s-pdb-settings",
    "maxUnavailable 0",
    true,
    res(
      T.pdb,
      "router",
      mut(F.pdb(), (p) => {
        delete p.spec.minAvailable;
        p.spec.maxUnavailable = 0;
      }),
    ),
  ),
  one(
    "k8s-pdb-settings",
    "minAvailable 100%",
    true,
    res(
      T.pdb,
      "router",
      mut(F.pdb(), (p) => (p.spec.minAvailable = "100%")),
    ),
  ),
  // k8s-pdb-coverage (stack)
  {
    rule: "k8s-pdb-coverage",
    name: "deployment with matching pdb",
    fails: false,
    resources: [dep("router", D), res(T.pdb, "router", F.pdb())],
  },
  {
    rule: "k8s-pdb-coverage",
    name: "deployment without pdb",
    fails: true,
    resources: [dep("router", D), res(T.pdb, "other", F.pdb("other"))],
  },
  {
    rule: "k8s-pdb-coverage",
    name: "pdb blocks all disruptions",
    fails: true,
    resources: [
      dep("router", D),
      res(
        T.pdb,
        "router",
        mut(F.pdb(), (p) => (p.spec.minAvailable = 3)),
      ),
    ],
  },
  // k8s-pod-spread
  one("k8s-pod-spread", "zone spread", false, dep("router", D)),
  one(
    "k8s-pod-spread",
    "anti-affinity only",
    false,
    dep(
      "router",
      mut(D, (d) => {
        delete pod(d).topologySpreadConstraints;
        pod(d).affinity = {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: { a: "b" } },
                },
              },
            ],
          },
        };
      }),
    ),
  ),
  one(
    "k8s-pod-spread",
    "no spread",
    true,
    dep(
      "router",
      mut(D, (d) => delete pod(d).topologySpreadConstraints),
    ),
  ),
  // k8s-probes
  one("k8s-probes", "both probes", false, dep("router", D)),
  one(
    "k8s-probes",
    "no readiness probe",
    true,
    dep(
      "router",
      mut(D, (d) => delete c0(d).readinessProbe),
    ),
  ),
  one(
    "k8s-probes",
    "no liveness probe",
    true,
    dep(
      "router",
      mut(D, (d) => delete c0(d).livenessProbe),
    ),
  ),
  // k8s-resources
  one("k8s-resources", "requests and limits", false, dep("router", D)),
  one(
    "k8s-resources",
    "no limits",
    true,
    dep(
      "router",
      mut(D, (d) => delete c0(d).resources.limits),
    ),
  ),
  one(
    "k8s-resources",
    "init container without resources",
    true,
    dep(
      "router",
      mut(D, (d) => {
        pod(d).initContainers = [{ ...clone(c0(D)), name: "migrate", resources: undefined }];
        delete pod(d).initContainers[0].resources;
      }),
    ),
  ),
  // k8s-security-context
  one("k8s-security-context", "restricted", false, dep("router", D)),
  one(
    "k8s-security-context",
    "runs as root",
    true,
    dep(
      "router",
      mut(D, (d) => {
        pod(d).securityContext.runAsNonRoot = false;
      }),
    ),
  ),
  one(
    "k8s-security-context",
    "runAsUser 0",
    true,
    dep(
      "router",
      mut(D, (d) => {
        c0(d).securityContext.runAsUser = 0;
      }),
    ),
  ),
  one(
    "k8s-security-context",
    "writable root fs",
    true,
    dep(
      "router",
      mut(D, (d) => delete c0(d).securityContext.readOnlyRootFilesystem),
    ),
  ),
  one(
    "k8s-security-context",
    "capabilities kept",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).securityContext.capabilities = { add: ["NET_ADMIN"] })),
    ),
  ),
  one(
    "k8s-security-context",
    "privilege escalation",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).securityContext.allowPrivilegeEscalation = true)),
    ),
  ),
  one(
    "k8s-security-context",
    "no seccomp",
    true,
    dep(
      "router",
      mut(D, (d) => delete pod(d).securityContext.seccompProfile),
    ),
  ),
  one(
    "k8s-security-context",
    "container-level seccomp",
    false,
    dep(
      "router",
      mut(D, (d) => {
        delete pod(d).securityContext.seccompProfile;
        c0(d).securityContext.seccompProfile = { type: "RuntimeDefault" };
      }),
    ),
  ),
  // k8s-host-isolation
  one("k8s-host-isolation", "isolated", false, dep("router", D)),
  one(
    "k8s-host-isolation",
    "privileged",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).securityContext.privileged = true)),
    ),
  ),
  one(
    "k8s-host-isolation",
    "hostNetwork",
    true,
    dep(
      "router",
      mut(D, (d) => (pod(d).hostNetwork = true)),
    ),
  ),
  one(
    "k8s-host-isolation",
    "hostPID",
    true,
    dep(
      "router",
      mut(D, (d) => (pod(d).hostPID = true)),
    ),
  ),
  one(
    "k8s-host-isolation",
    "hostPath",
    true,
    dep(
      "router",
      mut(D, (d) => pod(d).volumes.push({ name: "logs", hostPath: { path: "/var/log" } })),
    ),
  ),
  one(
    "k8s-host-isolation",
    "hostPort",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).ports[0].hostPort = 8080)),
    ),
  ),
  // k8s-image-provenance
  one("k8s-image-provenance", "tagged allowed image", false, dep("router", D)),
  one(
    "k8s-image-provenance",
    "digest-pinned image",
    false,
    dep(
      "router",
      mut(D, (d) => (c0(d).image = `ghcr.io/acme/llmops/router@sha256:${"a".repeat(64)}`)),
    ),
  ),
  one(
    "k8s-image-provenance",
    "latest tag",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops/router:latest")),
    ),
  ),
  one(
    "k8s-image-provenance",
    "no tag",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops/router")),
    ),
  ),
  one(
    "k8s-image-provenance",
    "foreign registry",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).image = "docker.io/library/nginx:1.27")),
    ),
  ),
  one(
    "k8s-image-provenance",
    "registry prefix lookalike",
    true,
    dep(
      "router",
      mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops-evil/router:1.0.0")),
    ),
  ),
  // k8s-required-labels
  one("k8s-required-labels", "labelled deployment", false, dep("router", D)),
  one("k8s-required-labels", "labelled service", false, res(T.svc, "router", F.service())),
  one(
    "k8s-required-labels",
    "deployment without environment label",
    true,
    dep(
      "router",
      mut(D, (d) => delete d.metadata.labels.environment),
    ),
  ),
  one(
    "k8s-required-labels",
    "configmap without labels",
    true,
    res(
      T.cm,
      "router-config",
      mut(F.configMap(), (c) => delete c.metadata.labels),
    ),
  ),
  // k8s-no-secret-literals
  one("k8s-no-secret-literals", "secretKeyRef env", false, dep("router", D)),
  one("k8s-no-secret-literals", "plain configmap", false, res(T.cm, "router-config", F.configMap())),
  one(
    "k8s-no-secret-literals",
    "token-ish names with harmless values",
    false,
    dep(
      "router",
      mut(D, (d) =>
        c0(d).env.push(
          { name: "TOKENIZER", value: "cl100k_base" },
          { name: "MAX_TOKENS", value: "4096" },
          { name: "API_KEYS_FILE", value: "/etc/llmops/keys" },
        ),
      ),
    ),
  ),
  one(
    "k8s-no-secret-literals",
    "client key list literal in env",
    true,
    dep(
      "router",
      mut(D, (d) => c0(d).env.push({ name: "API_KEYS", value: "key-abc:tenant-a" })),
    ),
  ),
  one(
    "k8s-no-secret-literals",
    "password literal in env",
    true,
    dep(
      "router",
      mut(D, (d) => c0(d).env.push({ name: "DB_PASSWORD", value: "hunter22" })),
    ),
  ),
  one(
    "k8s-no-secret-literals",
    "provider key literal in env",
    true,
    dep(
      "router",
      mut(D, (d) => c0(d).env.push({ name: "UPSTREAM", value: `sk-${"x".repeat(32)}` })),
    ),
  ),
  one(
    "k8s-no-secret-literals",
    "url with credentials in configmap",
    true,
    res(
      T.cm,
      "router-config",
      mut(F.configMap(), (c) => (c.data.DATABASE_URL = "postgres://app:s3cret@db:5432/llmops")),
    ),
  ),
  one(
    "k8s-no-secret-literals",
    "api key in configmap",
    true,
    res(
      T.cm,
      "router-config",
      mut(F.configMap(), (c) => (c.data.OPENAI_API_KEY = "abc123def456")),
    ),
  ),
  // k8s-exposure
  one("k8s-exposure", "ClusterIP service", false, res(T.svc, "router", F.service())),
  one(
    "k8s-exposure",
    "LoadBalancer app service",
    true,
    res(
      T.svc,
      "router",
      mut(F.service(), (s) => (s.spec.type = "LoadBalancer")),
    ),
  ),
  one(
    "k8s-exposure",
    "NodePort app service",
    true,
    res(
      T.svc,
      "router",
      mut(F.service(), (s) => (s.spec.type = "NodePort")),
    ),
  ),
  one(
    "k8s-exposure",
    "LoadBalancer in gateway namespace",
    false,
    res(
      T.svc,
      "gw",
      mut(F.service("public", "istio-ingress"), (s) => (s.spec.type = "LoadBalancer")),
    ),
  ),
  one("k8s-exposure", "HTTPS gateway", false, res(T.gw, "public", F.gateway())),
  one(
    "k8s-exposure",
    "HTTP gateway listener",
    true,
    res(
      T.gw,
      "public",
      mut(F.gateway(), (g) => g.spec.listeners.push({ name: "http", port: 80, protocol: "HTTP" })),
    ),
  ),
  one(
    "k8s-exposure",
    "gateway without cert-manager",
    true,
    res(
      T.gw,
      "public",
      mut(F.gateway(), (g) => delete g.metadata.annotations),
    ),
  ),
  one(
    "k8s-exposure",
    "gateway listener without certificateRefs",
    true,
    res(
      T.gw,
      "public",
      mut(F.gateway(), (g) => delete g.spec.listeners[0].tls),
    ),
  ),
  one("k8s-exposure", "ingress with tls", false, res(T.ing, "legacy", F.ingress())),
  one(
    "k8s-exposure",
    "ingress without tls",
    true,
    res(
      T.ing,
      "legacy",
      mut(F.ingress(), (i) => delete i.spec.tls),
    ),
  ),
  one(
    "k8s-exposure",
    "ingress host not in tls",
    true,
    res(
      T.ing,
      "legacy",
      mut(F.ingress(), (i) => i.spec.rules.push({ host: "other.example.com" })),
    ),
  ),
  one(
    "k8s-exposure",
    "HTTP listener for same-namespace redirects",
    false,
    res(
      T.gw,
      "public",
      mut(F.gateway(), (g) =>
        g.spec.listeners.push({
          name: "http",
          port: 80,
          protocol: "HTTP",
          allowedRoutes: { namespaces: { from: "Same" } },
        }),
      ),
    ),
  ),
  one(
    "k8s-exposure",
    "TCP listener",
    true,
    res(
      T.gw,
      "public",
      mut(F.gateway(), (g) => g.spec.listeners.push({ name: "pg", port: 5432, protocol: "TCP" })),
    ),
  ),
  // k8s-namespace-pod-security
  one(
    "k8s-namespace-pod-security",
    "restricted app namespace",
    false,
    res(T.ns, "llmops", F.namespace("llmops")),
  ),
  one(
    "k8s-namespace-pod-security",
    "baseline platform namespace",
    false,
    res(T.ns, "kafka", F.namespace("kafka", "baseline")),
  ),
  one(
    "k8s-namespace-pod-security",
    "baseline app namespace",
    true,
    res(T.ns, "llmops", F.namespace("llmops", "baseline")),
  ),
  one(
    "k8s-namespace-pod-security",
    "no enforce label",
    true,
    res(
      T.ns,
      "llmops",
      mut(F.namespace("llmops"), (n) => delete n.metadata.labels["pod-security.kubernetes.io/enforce"]),
    ),
  ),
  one(
    "k8s-namespace-pod-security",
    "privileged platform namespace",
    true,
    res(T.ns, "kafka", F.namespace("kafka", "privileged")),
  ),
  one(
    "k8s-namespace-pod-security",
    "privileged node-agent namespace",
    false,
    res(T.ns, "kube-system", F.namespace("kube-system", "privileged")),
  ),
  one(
    "k8s-namespace-pod-security",
    "privileged monitoring namespace",
    true,
    res(T.ns, "monitoring", F.namespace("monitoring", "privileged")),
  ),
  // k8s-default-deny (stack)
  {
    rule: "k8s-default-deny",
    name: "namespace with default deny",
    fails: false,
    resources: [
      res(T.ns, "llmops", F.namespace("llmops")),
      res(T.np, "dd", F.defaultDeny()),
      dep("router", D),
    ],
  },
  {
    rule: "k8s-default-deny",
    name: "namespace without policy",
    fails: true,
    resources: [res(T.ns, "llmops", F.namespace("llmops")), dep("router", D)],
  },
  {
    rule: "k8s-default-deny",
    name: "ingress-only default deny",
    fails: true,
    resources: [
      res(T.ns, "llmops", F.namespace("llmops")),
      res(
        T.np,
        "dd",
        mut(F.defaultDeny(), (n) => (n.spec.policyTypes = ["Ingress"])),
      ),
    ],
  },
  {
    rule: "k8s-default-deny",
    name: "workload namespace not declared",
    fails: true,
    resources: [dep("router", F.deployment("router", "other"))],
  },
  // k8s-observability (stack)
  {
    rule: "k8s-observability",
    name: "service with monitor and rules",
    fails: false,
    resources: [
      res(T.svc, "router", F.service()),
      res(T.sm, "router", F.serviceMonitor()),
      res(T.pr, "router", F.prometheusRule()),
    ],
  },
  {
    rule: "k8s-observability",
    name: "service without monitor",
    fails: true,
    resources: [res(T.svc, "router", F.service()), res(T.pr, "router", F.prometheusRule())],
  },
  {
    rule: "k8s-observability",
    name: "service without rules",
    fails: true,
    resources: [res(T.svc, "router", F.service()), res(T.sm, "router", F.serviceMonitor())],
  },
  // k8s-autoscaling (stack)
  {
    rule: "k8s-autoscaling",
    name: "deployment with hpa",
    fails: false,
    resources: [dep("router", D), res(T.hpa, "router", F.hpa())],
  },
  {
    rule: "k8s-autoscaling",
    name: "deployment with scaledobject",
    fails: false,
    resources: [dep("cost-api", F.deployment("cost-api")), res(T.so, "cost-api", F.scaledObject())],
  },
  {
    rule: "k8s-autoscaling",
    name: "deployment without scaler",
    fails: true,
    resources: [dep("router", D), res(T.hpa, "x", F.hpa("other"))],
  },
  // helm-pinned-release
  one("helm-pinned-release", "pinned https chart", false, res(T.helm, "kps", F.promStack())),
  one(
    "helm-pinned-release",
    "oci chart",
    false,
    res(T.helm, "x", {
      ...F.gatekeeperRelease(),
      chart: "oci://ghcr.io/charts/x",
      repositoryOpts: undefined,
    }),
  ),
  one(
    "helm-pinned-release",
    "version range",
    true,
    res(
      T.helm,
      "kps",
      mut(F.promStack(), (r) => (r.version = "^88.0.0")),
    ),
  ),
  one(
    "helm-pinned-release",
    "no version",
    true,
    res(
      T.helm,
      "kps",
      mut(F.promStack(), (r) => delete r.version),
    ),
  ),
  one(
    "helm-pinned-release",
    "http repo",
    true,
    res(
      T.helm,
      "kps",
      mut(F.promStack(), (r) => (r.repositoryOpts.repo = "http://charts.example.com")),
    ),
  ),
  // helm-prometheus-retention
  one("helm-prometheus-retention", "30d, HA", false, res(T.helm, "kps", F.promStack())),
  one(
    "helm-prometheus-retention",
    "default retention",
    true,
    res(
      T.helm,
      "kps",
      mut(F.promStack(), (r) => delete r.values.prometheus.prometheusSpec.retention),
    ),
  ),
  one(
    "helm-prometheus-retention",
    "single alertmanager",
    true,
    res(
      T.helm,
      "kps",
      mut(F.promStack(), (r) => (r.values.alertmanager.alertmanagerSpec.replicas = 1)),
    ),
  ),
  one("helm-prometheus-retention", "other chart is not applicable", false, res(T.helm, "loki", F.loki())),
  // helm-loki-retention
  one("helm-loki-retention", "31d", false, res(T.helm, "loki", F.loki())),
  one(
    "helm-loki-retention",
    "7d",
    true,
    res(
      T.helm,
      "loki",
      mut(F.loki(), (r) => (r.values.loki.limits_config.retention_period = "168h")),
    ),
  ),
  one(
    "helm-loki-retention",
    "compactor retention off",
    true,
    res(
      T.helm,
      "loki",
      mut(F.loki(), (r) => (r.values.loki.compactor.retention_enabled = false)),
    ),
  ),
  // helm-gatekeeper
  one("helm-gatekeeper", "3 replicas, 3.23.0", false, res(T.helm, "gk", F.gatekeeperRelease())),
  one(
    "helm-gatekeeper",
    "1 replica",
    true,
    res(
      T.helm,
      "gk",
      mut(F.gatekeeperRelease(), (r) => (r.values.replicas = 1)),
    ),
  ),
  one(
    "helm-gatekeeper",
    "pre-CEL version",
    true,
    res(
      T.helm,
      "gk",
      mut(F.gatekeeperRelease(), (r) => (r.version = "3.16.3")),
    ),
  ),
  one(
    "helm-gatekeeper",
    "CEL engine disabled",
    true,
    res(
      T.helm,
      "gk",
      mut(F.gatekeeperRelease(), (r) => (r.values.enableK8sNativeValidation = false)),
    ),
  ),
  // kafka-replication
  one("kafka-replication", "kafka rf 3 isr 2", false, res(T.kafka, "k", F.kafka())),
  one(
    "kafka-replication",
    "kafka isr 1",
    true,
    res(
      T.kafka,
      "k",
      mut(F.kafka(), (k) => (k.spec.kafka.config["min.insync.replicas"] = 1)),
    ),
  ),
  one("kafka-replication", "topic replicas 3", false, res(T.topic, "t", F.kafkaTopic())),
  one(
    "kafka-replication",
    "topic replicas 1",
    true,
    res(
      T.topic,
      "t",
      mut(F.kafkaTopic(), (t) => (t.spec.replicas = 1)),
    ),
  ),
  one(
    "kafka-replication",
    "broker pool of 1",
    true,
    res(
      T.pool,
      "p",
      mut(F.kafkaNodePool(), (p) => (p.spec.replicas = 1)),
    ),
  ),
  // aws-eks-cluster
  one("aws-eks-cluster", "hardened eks", false, res(T.eks, "c", F.eks())),
  one(
    "aws-eks-cluster",
    "no secrets encryption",
    true,
    res(
      T.eks,
      "c",
      mut(F.eks(), (c) => delete c.encryptionConfig),
    ),
  ),
  one(
    "aws-eks-cluster",
    "no audit logs",
    true,
    res(
      T.eks,
      "c",
      mut(F.eks(), (c) => (c.enabledClusterLogTypes = ["api"])),
    ),
  ),
  one(
    "aws-eks-cluster",
    "open endpoint",
    true,
    res(
      T.eks,
      "c",
      mut(F.eks(), (c) => delete c.vpcConfig.publicAccessCidrs),
    ),
  ),
  // gcp-gke-security / gcp-gke-regional
  one("gcp-gke-security", "private, WI, shielded", false, res("gcp:container/cluster:Cluster", "c", gke())),
  one(
    "gcp-gke-security",
    "public nodes",
    true,
    res(
      "gcp:container/cluster:Cluster",
      "c",
      mut(gke(), (c) => (c.privateClusterConfig.enablePrivateNodes = false)),
    ),
  ),
  one(
    "gcp-gke-security",
    "no workload identity",
    true,
    res(
      "gcp:container/cluster:Cluster",
      "c",
      mut(gke(), (c) => delete c.workloadIdentityConfig),
    ),
  ),
  one(
    "gcp-gke-security",
    "node pool without secure boot",
    true,
    res("gcp:container/nodePool:NodePool", "p", {
      cluster: "c",
      nodeConfig: { workloadMetadataConfig: { mode: "GKE_METADATA" } },
    }),
  ),
  one("gcp-gke-regional", "regional", false, res("gcp:container/cluster:Cluster", "c", gke())),
  one(
    "gcp-gke-regional",
    "zonal",
    true,
    res(
      "gcp:container/cluster:Cluster",
      "c",
      mut(gke(), (c) => (c.location = "europe-west1-b")),
    ),
  ),
  // azure
  one(
    "azure-aks-security",
    "hardened aks",
    false,
    res("azure-native:containerservice:ManagedCluster", "c", aks()),
  ),
  one(
    "azure-aks-security",
    "local accounts on",
    true,
    res(
      "azure-native:containerservice:ManagedCluster",
      "c",
      mut(aks(), (c) => (c.disableLocalAccounts = false)),
    ),
  ),
  one(
    "azure-aks-security",
    "no network policy",
    true,
    res(
      "azure-native:containerservice:ManagedCluster",
      "c",
      mut(aks(), (c) => delete c.networkProfile.networkPolicy),
    ),
  ),
  one("azure-aks-zones", "3 zones", false, res("azure-native:containerservice:ManagedCluster", "c", aks())),
  one(
    "azure-aks-zones",
    "single zone pool",
    true,
    res(
      "azure-native:containerservice:ManagedCluster",
      "c",
      mut(aks(), (c) => (c.agentPoolProfiles[0].availabilityZones = ["1"])),
    ),
  ),
  // secret-store-cmk
  one("secret-store-cmk", "aws secret with cmk", false, res(T.secret, "s", F.awsSecret())),
  one(
    "secret-store-cmk",
    "aws secret without cmk",
    true,
    res(
      T.secret,
      "s",
      mut(F.awsSecret(), (s) => delete s.kmsKeyId),
    ),
  ),
  one(
    "secret-store-cmk",
    "kms without rotation",
    true,
    res(
      T.kms,
      "k",
      mut(F.kmsKey(), (k) => (k.enableKeyRotation = false)),
    ),
  ),
  one(
    "secret-store-cmk",
    "key vault with purge protection",
    false,
    res("azure-native:keyvault:Vault", "v", vault()),
  ),
  one(
    "secret-store-cmk",
    "key vault without purge protection",
    true,
    res(
      "azure-native:keyvault:Vault",
      "v",
      mut(vault(), (v) => delete v.properties.enablePurgeProtection),
    ),
  ),
  one(
    "secret-store-cmk",
    "gcp secret with cmek",
    false,
    res("gcp:secretmanager/secret:Secret", "s", {
      secretId: "x",
      replication: { auto: { customerManagedEncryption: { kmsKeyName: "k" } } },
      labels: { ...F.TAGS },
    }),
  ),
  one(
    "secret-store-cmk",
    "gcp secret google-managed",
    true,
    res("gcp:secretmanager/secret:Secret", "s", {
      secretId: "x",
      replication: { auto: {} },
      labels: { ...F.TAGS },
    }),
  ),
  one(
    "secret-store-cmk",
    "gcp key rotated every 90 days",
    false,
    res("gcp:kms/cryptoKey:CryptoKey", "k", {
      name: "data",
      keyRing: "r",
      rotationPeriod: "7776000s",
      labels: { ...F.TAGS },
    }),
  ),
  one(
    "secret-store-cmk",
    "gcp key never rotated",
    true,
    res("gcp:kms/cryptoKey:CryptoKey", "k", { name: "data", keyRing: "r", labels: { ...F.TAGS } }),
  ),
  // postgres-baseline
  one("postgres-baseline", "aurora encrypted, 14d backups", false, res(T.rds, "db", F.rdsCluster())),
  one(
    "postgres-baseline",
    "unencrypted",
    true,
    res(
      T.rds,
      "db",
      mut(F.rdsCluster(), (c) => (c.storageEncrypted = false)),
    ),
  ),
  one(
    "postgres-baseline",
    "1 day backups",
    true,
    res(
      T.rds,
      "db",
      mut(F.rdsCluster(), (c) => (c.backupRetentionPeriod = 1)),
    ),
  ),
  one(
    "postgres-baseline",
    "public instance",
    true,
    res(
      T.rdsi,
      "db-1",
      mut(F.rdsInstance(1), (i) => (i.publiclyAccessible = true)),
    ),
  ),
  one(
    "postgres-baseline",
    "cloud sql private",
    false,
    res("gcp:sql/databaseInstance:DatabaseInstance", "db", cloudSql()),
  ),
  one(
    "postgres-baseline",
    "cloud sql public ip",
    true,
    res(
      "gcp:sql/databaseInstance:DatabaseInstance",
      "db",
      mut(cloudSql(), (s) => (s.settings.ipConfiguration.ipv4Enabled = true)),
    ),
  ),
  one(
    "postgres-baseline",
    "azure flexible server private",
    false,
    res("azure-native:dbforpostgresql:Server", "db", azPg()),
  ),
  one(
    "postgres-baseline",
    "azure flexible server public",
    true,
    res(
      "azure-native:dbforpostgresql:Server",
      "db",
      mut(azPg(), (s) => (s.network = { publicNetworkAccess: "Enabled" })),
    ),
  ),
  // postgres-ha (stack)
  { rule: "postgres-ha", name: "aurora with 2 instances", fails: false, resources: aurora(2) },
  { rule: "postgres-ha", name: "aurora with 1 instance", fails: true, resources: aurora(1) },
  {
    rule: "postgres-ha",
    name: "aurora without deletion protection",
    fails: true,
    resources: aurora(2, (c) => (c.deletionProtection = false)),
  },
  {
    rule: "postgres-ha",
    name: "cloud sql regional",
    fails: false,
    resources: [res("gcp:sql/databaseInstance:DatabaseInstance", "db", cloudSql())],
  },
  {
    rule: "postgres-ha",
    name: "cloud sql zonal",
    fails: true,
    resources: [
      res(
        "gcp:sql/databaseInstance:DatabaseInstance",
        "db",
        mut(cloudSql(), (s) => (s.settings.availabilityType = "ZONAL")),
      ),
    ],
  },
  { rule: "postgres-ha", name: "azure server with lock", fails: false, resources: azurePgWithLock(true) },
  { rule: "postgres-ha", name: "azure server without lock", fails: true, resources: azurePgWithLock(false) },
  // cloud-tags
  one("cloud-tags", "tagged route53 zone", false, res(T.zone, "z", F.zone())),
  one(
    "cloud-tags",
    "untagged route53 zone",
    true,
    res(
      T.zone,
      "z",
      mut(F.zone(), (z) => delete z.tags),
    ),
  ),
  one(
    "cloud-tags",
    "gcp dns zone without environment",
    true,
    res("gcp:dns/managedZone:ManagedZone", "z", {
      dnsName: "x.",
      labels: { project: "llmops", stack: "prod" },
    }),
  ),
  one(
    "cloud-tags",
    "azure zone tagged",
    false,
    res("azure-native:network:Zone", "z", { zoneName: "x", resourceGroupName: "rg", tags: { ...F.TAGS } }),
  ),
  one("cloud-tags", "eks tags via provider defaultTags", false, withProvider()),
  one(
    "cloud-tags",
    "security group given no tags at all",
    true,
    res("aws:ec2/securityGroup:SecurityGroup", "sg", { vpcId: "vpc-1", description: "nodes" }),
  ),
  one(
    "cloud-tags",
    "untaggable resource",
    false,
    res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a", { role: "r", policyArn: "arn" }),
  ),
  one(
    "cloud-tags",
    "azure dns zone (dns module) without tags",
    true,
    res("azure-native:dns:Zone", "z", { zoneName: "llm.example.com", resourceGroupName: "rg" }),
  ),
];

function gke() {
  return {
    name: "llmops-prod",
    location: "europe-west1",
    removeDefaultNodePool: true,
    initialNodeCount: 1,
    enableShieldedNodes: true,
    privateClusterConfig: {
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
      masterIpv4CidrBlock: "172.16.0.0/28",
    },
    masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "203.0.113.0/24" }] },
    workloadIdentityConfig: { workloadPool: "proj.svc.id.goog" },
    datapathProvider: "ADVANCED_DATAPATH",
    resourceLabels: { ...F.TAGS },
  };
}
function aks() {
  return {
    resourceGroupName: "rg",
    enableRBAC: true,
    disableLocalAccounts: true,
    aadProfile: { managed: true, enableAzureRBAC: true },
    networkProfile: { networkPlugin: "azure", networkPolicy: "cilium" },
    apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] },
    agentPoolProfiles: [{ name: "system", mode: "System", count: 3, availabilityZones: ["1", "2", "3"] }],
    tags: { ...F.TAGS },
  };
}
function vault() {
  return {
    resourceGroupName: "rg",
    properties: {
      tenantId: "t",
      sku: { family: "A", name: "standard" },
      enablePurgeProtection: true,
      enableSoftDelete: true,
      enableRbacAuthorization: true,
    },
    tags: { ...F.TAGS },
  };
}
function cloudSql() {
  return {
    databaseVersion: "POSTGRES_16",
    region: "europe-west1",
    deletionProtection: true,
    settings: {
      tier: "db-custom-2-7680",
      availabilityType: "REGIONAL",
      ipConfiguration: {
        ipv4Enabled: false,
        privateNetwork: "projects/p/global/networks/vpc",
        sslMode: "ENCRYPTED_ONLY",
      },
      backupConfiguration: {
        enabled: true,
        pointInTimeRecoveryEnabled: true,
        transactionLogRetentionDays: 7,
        backupRetentionSettings: { retainedBackups: 14 },
      },
      userLabels: { ...F.TAGS },
    },
  };
}
function azPg() {
  return {
    resourceGroupName: "rg",
    version: "16",
    network: { publicNetworkAccess: "Disabled", delegatedSubnetResourceId: "/subscriptions/s/subnets/db" },
    backup: { backupRetentionDays: 14, geoRedundantBackup: "Enabled" },
    highAvailability: { mode: "ZoneRedundant" },
    tags: { ...F.TAGS },
  };
}
function aurora(n: number, f: (c: any) => void = () => {}) {
  const cluster = res(T.rds, "db", mut(F.rdsCluster(), f));
  return [
    cluster,
    ...Array.from({ length: n }, (_, i) => res(T.rdsi, `db-${i}`, F.rdsInstance(i), { parent: cluster.urn })),
  ];
}
function azurePgWithLock(lock: boolean) {
  const server = res("azure-native:dbforpostgresql:Server", "db", azPg());
  const l = res(
    "azure-native:authorization:ManagementLockByScope",
    "db-lock",
    { level: "CanNotDelete", scope: "/x" },
    { dependsOn: [server.urn] },
  );
  return lock ? [server, l] : [server];
}
function withProvider() {
  const prov = res("pulumi:providers:aws", "aws", {
    region: "eu-west-1",
    defaultTags: { tags: { ...F.TAGS } },
  });
  return res(
    T.eks,
    "c",
    mut(F.eks(), (c) => delete c.tags),
    { provider: `${prov.urn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9` },
  );
}
/** Resources a case needs besides the resource under test (e.g. a provider). */
export function extras(c: Case): InventoryResource[] {
  return c.name === "eks tags via provider defaultTags"
    ? [res("pulumi:providers:aws", "aws", { region: "eu-west-1", defaultTags: { tags: { ...F.TAGS } } })]
    : [];
}
