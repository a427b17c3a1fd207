/**
 * Namespaces with Pod Security Admission labels, and the NetworkPolicies of each: a default deny
 * (ingress and egress) plus exactly the flows its components need. Every other module places its
 * objects in a namespace from NS and waits on the Namespace resource, so labels and policies exist
 * before the first pod is admitted.
 */
import * as k8s from "@pulumi/kubernetes";
import type { CiliumPolicyKind } from "../cloud/facts.ts";
import { objectMeta, standardLabels } from "../lib/labels.ts";
import { chartLabels, type PlatformContext } from "./context.ts";
import { KUBE_SYSTEM, NS, type NamespaceKey, WEBHOOK_PORTS } from "../names.ts";
import { GRAFANA } from "./grafana.ts";
import { ALERTMANAGER, TRACING } from "./names.ts";
import type { ChartKey } from "./versions.ts";

export { KUBE_SYSTEM, NS, type NamespaceKey };

type PodSecurityLevel = "restricted" | "baseline";
interface Port {
  port: number;
  protocol?: "TCP" | "UDP";
}

/** The flows a namespace needs beyond DNS, its own namespace and Prometheus scrapes. */
interface Flows {
  /** Controllers talking to the Kubernetes API (endpoint IPs are not selectable by pod selector). */
  apiServer?: boolean;
  /** Ports open to the internet: HTTPS for ACME, cloud APIs, object storage, alert receivers. */
  internet?: number[];
  /** The node-local cloud metadata endpoint workload identity exchanges tokens with (GKE). */
  cloudIdentity?: boolean;
  /** DNS to any resolver: cert-manager's DNS-01 self-check asks the zone's authoritative servers. */
  anyDns?: boolean;
  /** Admission/aggregated-API ports the API server calls (its source address is not selectable). */
  fromApiServer?: number[];
  /** Public ports, reachable from anywhere (the gateway's listeners and LB health checks). */
  fromAnywhere?: number[];
  ingressFrom?: { namespace: string; ports?: number[] }[];
  /** Ingress to some pods of the namespace only: one policy each, named allow-ingress-<name>. */
  ingressToPods?: { name: string; pods: Record<string, string>; from: string; ports: number[] }[];
  egressTo?: { namespace: string; ports?: number[] }[];
  /** Egress to every namespace (Prometheus scraping, the gateway routing to backends). */
  egressToCluster?: boolean;
  /** Egress to node addresses inside the VPC (kubelet and node-exporter scrapes). */
  egressToNodes?: number[];
}

interface NamespaceSpec {
  owner: ChartKey | "apps";
  component: string;
  podSecurity: PodSecurityLevel;
  /** Istio sidecar injection (with istio-cni, so restricted PSA still admits the pods). */
  mesh?: boolean;
  /**
   * Workloads declare their own flows (the apps layer, per service). NetworkPolicies are additive,
   * so namespace-wide allows (same-namespace, scrape, gateway ingress) would widen every service.
   */
  perWorkloadFlows?: boolean;
  extraLabels?: Record<string, string>;
  flows: Flows;
  /** Flows that exist only when an optional platform piece is on (stack setting). */
  optionalFlows?: (config: PlatformContext["config"]) => Flows;
  /** Created only where this holds (a piece the managed cluster may already bring). */
  when?: (ctx: PlatformContext) => boolean;
}

const ISTIOD_PORTS = [15010, 15012, 15014];
/** What a meshed namespace needs from the control plane: xDS and CA (15012), plain xDS (15010). */
const TO_ISTIOD = { namespace: NS.istioSystem, ports: [15010, 15012] };

/** Why a namespace is baseline rather than restricted is stated where it is set. */
const SPECS: Record<NamespaceKey, NamespaceSpec> = {
  apps: {
    owner: "apps",
    component: "applications",
    podSecurity: "restricted",
    mesh: true,
    perWorkloadFlows: true,
    flows: {
      egressTo: [TO_ISTIOD],
      // Ingress from the gateway and Prometheus, and egress to Kafka, Postgres and LLM upstreams, are
      // declared per service by the apps layer.
    },
  },
  kafka: {
    owner: "strimzi",
    component: "event-streaming",
    podSecurity: "restricted",
    flows: {
      apiServer: true,
      ingressFrom: [
        { namespace: NS.apps, ports: [9093] },
        // KEDA's Kafka scaler reads consumer lag.
        { namespace: NS.keda, ports: [9093] },
      ],
    },
  },
  certManager: {
    owner: "certManager",
    component: "certificates",
    podSecurity: "restricted",
    // Port 80 too: before asking Let's Encrypt, cert-manager self-checks HTTP-01 through the public address.
    flows: {
      apiServer: true,
      internet: [443, 80],
      cloudIdentity: true,
      anyDns: true,
      fromApiServer: [WEBHOOK_PORTS.controllers],
    },
  },
  monitoring: {
    owner: "kubePrometheusStack",
    component: "monitoring",
    // Grafana's and the operator's pods do not all set seccomp/capabilities the way restricted
    // requires; node-exporter (hostNetwork) is moved to kube-system so baseline holds here.
    podSecurity: "baseline",
    flows: {
      apiServer: true,
      // Alert receivers (Slack, PagerDuty) and Loki's and Tempo's object storage.
      internet: [443],
      cloudIdentity: true,
      fromApiServer: [WEBHOOK_PORTS.controllers],
      // Workloads that raise alerts of their own post them to Alertmanager's API; nothing else here.
      ingressToPods: [
        { name: "alertmanager", pods: ALERTMANAGER.podLabels, from: NS.apps, ports: [ALERTMANAGER.port] },
      ],
      egressToCluster: true,
      egressToNodes: [10250, 9100],
    },
    // With single sign-on Grafana is published on the Gateway (grafana.ts). With tracing the services
    // send OTLP to the collector; collector -> Tempo and Grafana -> Tempo stay inside the namespace.
    optionalFlows: (c) => ({
      ingressToPods: [
        ...(c.grafanaSso
          ? [
              {
                name: "grafana",
                pods: GRAFANA.podLabels,
                from: NS.istioIngress,
                ports: [GRAFANA.containerPort],
              },
            ]
          : []),
        ...(c.platform.tracing.enabled
          ? [
              {
                name: "otel-collector",
                pods: TRACING.collector.podLabels,
                from: NS.apps,
                ports: [TRACING.collector.grpcPort, TRACING.collector.httpPort],
              },
            ]
          : []),
      ],
    }),
  },
  keda: {
    owner: "keda",
    component: "autoscaling",
    podSecurity: "restricted",
    flows: {
      apiServer: true,
      fromApiServer: [WEBHOOK_PORTS.kedaWebhook, WEBHOOK_PORTS.kedaMetricsApi],
      egressTo: [
        { namespace: NS.kafka, ports: [9093] },
        { namespace: NS.monitoring, ports: [9090] },
      ],
    },
  },
  gatekeeper: {
    owner: "gatekeeper",
    component: "admission-policy",
    podSecurity: "restricted",
    // Gatekeeper must not police its own namespace (a broken policy would lock it out).
    extraLabels: { "admission.gatekeeper.sh/ignore": "no-self-managing" },
    flows: { apiServer: true, fromApiServer: [WEBHOOK_PORTS.gatekeeper] },
  },
  istioSystem: {
    owner: "istiod",
    component: "service-mesh",
    // istiod's chart sets no runAsNonRoot/seccomp at pod level in every mode.
    podSecurity: "baseline",
    flows: {
      apiServer: true,
      fromApiServer: [WEBHOOK_PORTS.istiodInjector],
      ingressFrom: [
        { namespace: NS.apps, ports: ISTIOD_PORTS },
        { namespace: NS.istioIngress, ports: ISTIOD_PORTS },
      ],
    },
  },
  istioIngress: {
    owner: "istioGateway",
    component: "ingress-gateway",
    // The gateway binds 80/443 through the net.ipv4.ip_unprivileged_port_start sysctl.
    podSecurity: "baseline",
    flows: {
      fromAnywhere: [80, 443, 8080, 8443, 15021],
      egressTo: [TO_ISTIOD],
      egressToCluster: true,
    },
    // istio-agent pulls the WAF's Wasm module from its OCI registry.
    optionalFlows: (c) => (c.platform.waf.enabled ? { internet: [443] } : {}),
  },
  externalSecrets: {
    owner: "externalSecrets",
    component: "secrets",
    podSecurity: "restricted",
    flows: {
      apiServer: true,
      internet: [443],
      cloudIdentity: true,
      fromApiServer: [WEBHOOK_PORTS.controllers],
    },
  },
  vpa: {
    owner: "vpa",
    component: "autoscaling",
    podSecurity: "restricted",
    // The recommender reads pod usage from the metrics API and writes VPA status: both through the API server.
    flows: { apiServer: true },
  },
  velero: {
    owner: "velero",
    component: "backups",
    podSecurity: "restricted",
    // Backups go to the cloud's object storage under Velero's workload identity; volumes are snapshotted
    // through the CSI API (the API server), not by Velero itself.
    flows: { apiServer: true, internet: [443], cloudIdentity: true },
  },
  externalDns: {
    owner: "externalDns",
    component: "dns",
    podSecurity: "restricted",
    flows: { apiServer: true, internet: [443], cloudIdentity: true },
  },
  metricsServer: {
    owner: "metricsServer",
    component: "resource-metrics",
    podSecurity: "restricted",
    // Reads nodes and pods from the API server, scrapes every kubelet, and serves the aggregated
    // metrics.k8s.io API that the API server calls.
    flows: {
      apiServer: true,
      fromApiServer: [WEBHOOK_PORTS.metricsServer],
      egressToNodes: [10250],
    },
    when: (ctx) => !ctx.cloud.facts.metricsServer,
  },
};

/** Every namespace the platform creates; one whose `when` does not hold on this cloud is absent. */
export type Namespaces = Record<Exclude<NamespaceKey, "metricsServer">, k8s.core.v1.Namespace> & {
  metricsServer?: k8s.core.v1.Namespace;
};

export function createNamespaces(ctx: PlatformContext): Namespaces {
  const out = {} as Namespaces;
  for (const [key, spec] of Object.entries(SPECS) as [NamespaceKey, NamespaceSpec][]) {
    if (spec.when && !spec.when(ctx)) continue;
    const name = NS[key];
    const labels = namespaceLabels(ctx, spec, name);
    const ns = new k8s.core.v1.Namespace(
      name,
      {
        metadata: objectMeta(name, undefined, labels, {
          labels: {
            ...podSecurityLabels(spec.podSecurity, ctx.config.kubernetesVersion),
            ...(spec.mesh ? { "istio-injection": "enabled" } : {}),
            ...spec.extraLabels,
          },
        }),
      },
      { parent: ctx.parent },
    );
    const flows = mergeFlows(spec.flows, spec.optionalFlows?.(ctx.config) ?? {});
    for (const policy of networkPolicies(name, { ...spec, flows }, ctx)) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policy.name}`,
        {
          metadata: objectMeta(policy.name, name, labels),
          spec: policy.spec,
        },
        { parent: ctx.parent, dependsOn: [ns] },
      );
    }
    // On Cilium a node's own addresses are the entities host and remote-node, which the ipBlock rule
    // above never matches (AKS documents it as a limitation of Azure CNI powered by Cilium): the same
    // ports, by entity, in the Cilium policy kind this cluster serves. Additive only: the namespace's
    // deny stays.
    const dataplane = ctx.cloud.facts.dataplane;
    if (flows.egressToNodes && dataplane.engine === "cilium") {
      const policy = ciliumNodeEgress(name, flows.egressToNodes, dataplane.policyKind);
      new k8s.apiextensions.CustomResource(
        `${name}-${policy.name}`,
        {
          apiVersion: "cilium.io/v2",
          kind: dataplane.policyKind,
          metadata: objectMeta(policy.name, policy.namespace, labels),
          spec: policy.spec,
        },
        { parent: ctx.parent, dependsOn: [ns] },
      );
    }
    out[key] = ns;
  }
  return out;
}

/**
 * Egress from one namespace's pods to the nodes' own addresses (kubelet, node-exporter) where the
 * dataplane is Cilium. The namespaced kind selects every pod of its namespace; the cluster-wide kind
 * (the only one GKE Dataplane V2 serves) has no namespace, so it carries the namespace in its name and
 * selects the namespace's pods by the label Cilium gives every endpoint.
 */
export function ciliumNodeEgress(
  namespace: string,
  ports: number[],
  kind: CiliumPolicyKind,
): { name: string; namespace?: string; spec: Record<string, unknown> } {
  const clusterwide = kind === "CiliumClusterwideNetworkPolicy";
  return {
    name: clusterwide ? `${namespace}-allow-egress-nodes` : "allow-egress-nodes",
    namespace: clusterwide ? undefined : namespace,
    spec: {
      endpointSelector: clusterwide ? { matchLabels: { "k8s:io.kubernetes.pod.namespace": namespace } } : {},
      // This policy only allows: it must not put the selected pods into Cilium's default deny.
      enableDefaultDeny: { egress: false, ingress: false },
      egress: [
        {
          toEntities: ["host", "remote-node"],
          toPorts: [{ ports: ports.map((port) => ({ port: String(port), protocol: "TCP" })) }],
        },
      ],
    },
  };
}

/** A namespace's fixed flows plus its optional ones (lists concatenated, flags or-ed). */
function mergeFlows(a: Flows, b: Flows): Flows {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = Array.isArray(v) ? [...((prev as unknown[]) ?? []), ...v] : (v ?? prev);
  }
  return out as Flows;
}

function namespaceLabels(ctx: PlatformContext, spec: NamespaceSpec, name: string) {
  return spec.owner === "apps"
    ? standardLabels({
        name,
        version: ctx.config.imageTag,
        component: spec.component,
        environment: ctx.config.environment,
      })
    : chartLabels(ctx, spec.owner, spec.component, name);
}

/**
 * enforce at the namespace's level, pinned to the cluster's minor so a control-plane upgrade
 * cannot tighten it unannounced; audit and warn always at restricted so gaps stay visible.
 */
export function podSecurityLabels(
  level: PodSecurityLevel,
  kubernetesVersion: string,
): Record<string, string> {
  const version = `v${kubernetesVersion}`;
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/enforce-version": version,
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": version,
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": version,
  };
}

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;
type IngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

const ANYWHERE = "0.0.0.0/0";
const API_SERVER_PORTS = [443, 6443];
/**
 * GKE's metadata server (dataplane v2 and v1 addresses), where a workload identity gets its tokens;
 * unused but harmless on EKS and AKS. The apps layer opens it to workloads on GKE only
 * (ClusterFacts.workloadTokenEndpoint).
 */
export const METADATA_EGRESS: EgressRule[] = [
  { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ port: 80, protocol: "TCP" }] },
  { to: [{ ipBlock: { cidr: "169.254.169.252/32" } }], ports: [{ port: 988, protocol: "TCP" }] },
];
const tcp = (ports: number[]): Port[] => ports.map((port) => ({ port, protocol: "TCP" }));
const nsSelector = (namespace: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
/**
 * Where a pod's lookups land: the cluster DNS pods, or the node's NodeLocal DNSCache where the cloud
 * runs one (GKE has it on). The cache answers on its link-local address from a host-network pod, or
 * from a node-local-dns pod the dataplane redirects the kube-dns Service to; a rule that names only
 * kube-dns drops every lookup the cache serves. The peers never match where there is no cache.
 * https://github.com/kubernetes/kubernetes/tree/master/cluster/addons/dns/nodelocaldns (network policy)
 */
const NODE_LOCAL_DNS = "169.254.20.10/32";
const CLUSTER_DNS = [
  { ...nsSelector(KUBE_SYSTEM), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
  { ...nsSelector(KUBE_SYSTEM), podSelector: { matchLabels: { "k8s-app": "node-local-dns" } } },
  { ipBlock: { cidr: NODE_LOCAL_DNS } },
];
const DNS_PORTS: Port[] = [
  { port: 53, protocol: "UDP" },
  { port: 53, protocol: "TCP" },
];

/** The policies of one namespace; names are stable (default-deny, allow-*) so reviewers can diff them. */
export function networkPolicies(
  namespace: string,
  { flows, perWorkloadFlows }: Pick<NamespaceSpec, "flows" | "perWorkloadFlows">,
  ctx: PlatformContext,
): { name: string; spec: NetworkPolicySpec }[] {
  const all = { podSelector: {} };
  const policies: { name: string; spec: NetworkPolicySpec }[] = [
    { name: "default-deny", spec: { ...all, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns",
      spec: {
        ...all,
        policyTypes: ["Egress"],
        egress: [flows.anyDns ? { ports: DNS_PORTS } : { to: CLUSTER_DNS, ports: DNS_PORTS }],
      },
    },
  ];
  if (!perWorkloadFlows) {
    policies.push({
      name: "allow-same-namespace",
      spec: {
        ...all,
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    });
  }
  if (namespace !== NS.monitoring && !perWorkloadFlows) {
    policies.push({
      name: "allow-prometheus-scrape",
      spec: { ...all, policyTypes: ["Ingress"], ingress: [{ from: [nsSelector(NS.monitoring)] }] },
    });
  }
  const egress: EgressRule[] = [];
  // The API server's endpoints live outside the pod network on managed clusters, so neither they
  // nor internet endpoints can be selected more narrowly than by port.
  const anywherePorts = [
    ...new Set([...(flows.apiServer ? API_SERVER_PORTS : []), ...(flows.internet ?? [])]),
  ];
  if (anywherePorts.length) egress.push({ to: [{ ipBlock: { cidr: ANYWHERE } }], ports: tcp(anywherePorts) });
  if (flows.cloudIdentity) egress.push(...METADATA_EGRESS);
  for (const e of flows.egressTo ?? [])
    egress.push({ to: [nsSelector(e.namespace)], ...(e.ports ? { ports: tcp(e.ports) } : {}) });
  if (flows.egressToCluster) egress.push({ to: [{ namespaceSelector: {} }] });
  if (flows.egressToNodes)
    egress.push({ to: [{ ipBlock: { cidr: ctx.config.vpcCidr } }], ports: tcp(flows.egressToNodes) });
  if (egress.length)
    policies.push({ name: "allow-egress", spec: { ...all, policyTypes: ["Egress"], egress } });

  const ingress: IngressRule[] = [];
  // Narrowed to the control plane where the cloud can name its addresses (GKE); elsewhere by port.
  if (flows.fromApiServer) {
    const sources = ctx.cloud.apiServerSources;
    ingress.push({
      ...(sources ? { from: sources.map((cidr) => ({ ipBlock: { cidr } })) } : {}),
      ports: tcp(flows.fromApiServer),
    });
  }
  if (flows.fromAnywhere)
    ingress.push({ from: [{ ipBlock: { cidr: ANYWHERE } }], ports: tcp(flows.fromAnywhere) });
  for (const i of flows.ingressFrom ?? [])
    ingress.push({ from: [nsSelector(i.namespace)], ...(i.ports ? { ports: tcp(i.ports) } : {}) });
  if (ingress.length)
    policies.push({ name: "allow-ingress", spec: { ...all, policyTypes: ["Ingress"], ingress } });
  for (const target of flows.ingressToPods ?? [])
    policies.push({
      name: `allow-ingress-${target.name}`,
      spec: {
        podSelector: { matchLabels: target.pods },
        policyTypes: ["Ingress"],
        ingress: [{ from: [nsSelector(target.from)], ports: tcp(target.ports) }],
      },
    });
  return policies;
}
