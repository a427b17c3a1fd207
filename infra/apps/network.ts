/**
 * How traffic reaches a service and where it may go: ClusterIP Service, Gateway API HTTPRoute on
 * the platform Gateway, and the service's NetworkPolicy (only the flows the contracts declare; the platform's
 * namespace policies hold the default deny, DNS and istiod). Mesh policy is in mesh.ts.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { METADATA_EGRESS } from "../platform/namespaces.ts";
import { HTTP_PORT, HTTP_PORT_NAME, MERGED_METRICS } from "./constants.ts";
import { type AppsContext, kafkaPort, publicHost, selectorLabels } from "./context.ts";
import type { ServiceName, ServiceProfile } from "./profile.ts";

type Opts = pulumi.CustomResourceOptions;

export function service(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.core.v1.Service {
  return new k8s.core.v1.Service(
    profile.name,
    {
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        // Never LoadBalancer/NodePort: the Gateway is the only way in.
        type: "ClusterIP",
        selector: selectorLabels(labels),
        ports: [
          {
            name: HTTP_PORT_NAME,
            port: HTTP_PORT,
            targetPort: HTTP_PORT_NAME,
            protocol: "TCP",
            appProtocol: "http",
          },
          {
            name: MERGED_METRICS.portName,
            port: MERGED_METRICS.port,
            targetPort: MERGED_METRICS.port,
            protocol: "TCP",
            appProtocol: "http",
          },
        ],
      },
    },
    opts,
  );
}

export const duration = (seconds: number) => `${seconds}s`;

/** HTTPS on the platform Gateway; external-dns publishes the hostname, cert-manager covers it. */
export function httpRoute(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.apiextensions.CustomResource | undefined {
  const route = profile.route;
  if (!route) return undefined;
  const backendRefs = [{ name: profile.name, port: HTTP_PORT }];
  const prefix = (value: string) => ({ path: { type: "PathPrefix", value } });
  const { gateway } = ctx.platform;
  return new k8s.apiextensions.CustomResource(
    profile.name,
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        parentRefs: [
          {
            group: "gateway.networking.k8s.io",
            kind: "Gateway",
            name: gateway.name,
            namespace: gateway.namespace,
            sectionName: gateway.httpsListener,
          },
        ],
        hostnames: [publicHost(ctx, route.subdomain)],
        rules: [
          // WebSocket sessions outlive any request timeout: their own rule, their own bound.
          ...(route.websocket
            ? [
                {
                  matches: [prefix(route.websocket.path)],
                  backendRefs,
                  timeouts: { request: duration(route.websocket.timeoutSeconds) },
                },
              ]
            : []),
          {
            // Only the public API paths: /metrics, /health and /ready are not published.
            matches: route.paths.map(prefix),
            backendRefs,
            timeouts: { request: duration(route.requestTimeoutSeconds) },
          },
        ],
      },
    },
    opts,
  );
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
/** Cloud metadata endpoints (instance credentials) stay unreachable even on "internet" egress. */
const LINK_LOCAL = "169.254.0.0/16";

const nsSelector = (namespace: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
});
const tcp = (port: number) => [{ protocol: "TCP", port }];
const appPods = (service: ServiceName) => ({
  podSelector: { matchLabels: { "app.kubernetes.io/name": service } },
});

/** HTTPS to public addresses only: never the private ranges or the link-local metadata endpoints. */
function internetHttps(): Record<string, unknown> {
  return {
    to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...PRIVATE_RANGES, LINK_LOCAL] } }],
    ports: tcp(443),
  };
}

/**
 * Where a pod trades its workload identity for a token (the Postgres token logins): the node's
 * metadata server on GKE, the same rules the platform's cloud-identity namespaces get; the cloud's
 * public token service over HTTPS on EKS (STS) and AKS (Entra), with the metadata endpoint still closed.
 */
export function tokenEgress(ctx: AppsContext): Record<string, unknown>[] {
  return ctx.cloud.facts.workloadTokenEndpoint === "node-metadata"
    ? METADATA_EGRESS.map((rule) => ({ ...rule }))
    : [internetHttps()];
}

/** To the managed Postgres: a private address outside the pod network, so only its port is pinned. */
export function postgresEgress(ctx: AppsContext): Record<string, unknown> {
  return { to: PRIVATE_RANGES.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(ctx.cloud.postgres.port) };
}

/** The exact ingress and egress of one service (the request and event flows of the contracts). */
export function networkPolicySpec(ctx: AppsContext, profile: ServiceProfile, selector: Labels) {
  const { platform } = ctx;
  const ingress: Record<string, unknown>[] = [];
  if (profile.route) ingress.push({ from: [nsSelector(platform.gateway.namespace)], ports: tcp(HTTP_PORT) });
  if (profile.callers.length) ingress.push({ from: profile.callers.map(appPods), ports: tcp(HTTP_PORT) });
  ingress.push({
    from: [
      {
        ...nsSelector(platform.monitoring.namespace),
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ],
    ports: tcp(MERGED_METRICS.port),
  });

  const egress: Record<string, unknown>[] = [
    {
      to: [
        {
          ...nsSelector(platform.kafka.namespace),
          podSelector: {
            matchLabels: { "strimzi.io/cluster": platform.kafka.clusterName, "strimzi.io/kind": "Kafka" },
          },
        },
      ],
      ports: tcp(kafkaPort(ctx)),
    },
  ];
  if (profile.database) egress.push(postgresEgress(ctx));
  if (profile.calls.length) egress.push({ to: profile.calls.map(appPods), ports: tcp(HTTP_PORT) });
  if (profile.alertmanager) {
    const { alertmanager } = platform.monitoring;
    egress.push({
      to: [
        {
          ...nsSelector(platform.monitoring.namespace),
          podSelector: { matchLabels: alertmanager.podLabels },
        },
      ],
      ports: tcp(alertmanager.port),
    });
  }
  // Every service exports its spans to the platform's collector when tracing is on.
  if (platform.tracing)
    egress.push({
      to: [
        {
          ...nsSelector(platform.tracing.namespace),
          podSelector: { matchLabels: platform.tracing.podLabels },
        },
      ],
      ports: tcp(platform.tracing.port),
    });
  if (profile.internetEgress) egress.push(internetHttps());
  // A Postgres user logs in with its identity's token (a rule already present is not repeated).
  if (profile.database)
    for (const rule of tokenEgress(ctx))
      if (!egress.some((e) => JSON.stringify(e) === JSON.stringify(rule))) egress.push(rule);
  return { podSelector: { matchLabels: selector }, policyTypes: ["Ingress", "Egress"], ingress, egress };
}

export function networkPolicy(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(
    profile.name,
    {
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: networkPolicySpec(ctx, profile, selectorLabels(labels)),
    },
    opts,
  );
}
