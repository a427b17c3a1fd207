/**
 * Istio policy around one service: who may call it (mTLS STRICT and an identity-based
 * AuthorizationPolicy, so the allowed callers hold even where NetworkPolicies are broader), and
 * how its clients connect (DestinationRule: pools, outlier detection, session affinity).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { HTTP_PORT, MESH_TRUST_DOMAIN } from "./constants.ts";
import { type AppsContext, selectorLabels, serviceHost } from "./context.ts";
import { duration } from "./network.ts";
import type { ServiceName, ServiceProfile } from "./profile.ts";

type Opts = pulumi.CustomResourceOptions;

/** Workload-level STRICT: holds for this service whatever the namespace default says. */
export function peerAuthentication(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(
    `${profile.name}-mtls`,
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: { selector: { matchLabels: selectorLabels(labels) }, mtls: { mode: "STRICT" } },
    },
    opts,
  );
}

/** The SPIFFE principal of a service's ServiceAccount (every ServiceAccount is named after its service). */
export function principal(ctx: AppsContext, service: ServiceName): string {
  return `${MESH_TRUST_DOMAIN}/ns/${ctx.platform.appNamespace}/sa/${service}`;
}

/**
 * ALLOW only the gateway (routed services) and the declared callers, on the app port. A service
 * nobody calls gets "allow nothing". Probes and metrics go to the sidecar agent, not through this.
 */
export function authorizationPolicy(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.apiextensions.CustomResource {
  const to = [{ operation: { ports: [String(HTTP_PORT)] } }];
  const rules = [
    ...(profile.route ? [{ from: [{ source: { namespaces: [ctx.platform.gateway.namespace] } }], to }] : []),
    ...(profile.callers.length
      ? [{ from: [{ source: { principals: profile.callers.map((c) => principal(ctx, c)) } }], to }]
      : []),
  ];
  return new k8s.apiextensions.CustomResource(
    `${profile.name}-authz`,
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        selector: { matchLabels: selectorLabels(labels) },
        action: "ALLOW",
        ...(rules.length ? { rules } : {}),
      },
    },
    opts,
  );
}

/** Mesh client-side policy for calls into the service (from the gateway and from other services). */
export function destinationRule(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: Opts,
): k8s.apiextensions.CustomResource {
  const idleTimeout = duration(profile.route?.websocket?.timeoutSeconds ?? 3600);
  return new k8s.apiextensions.CustomResource(
    profile.name,
    {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        host: serviceHost(ctx, profile.name),
        trafficPolicy: {
          tls: { mode: "ISTIO_MUTUAL" },
          loadBalancer: profile.sessionAffinityQueryParam
            ? // Browsers cannot set headers on a WebSocket: the session id rides in the query string.
              // Requests without it (the HTTP API) hash randomly, i.e. still spread evenly.
              { consistentHash: { httpQueryParameterName: profile.sessionAffinityQueryParam } }
            : { simple: "LEAST_REQUEST" },
          connectionPool: {
            tcp: {
              maxConnections: profile.connectionPool.maxConnections,
              connectTimeout: "5s",
              tcpKeepalive: { time: "300s", interval: "60s" },
            },
            http: {
              http1MaxPendingRequests: profile.connectionPool.maxPendingRequests,
              http2MaxRequests: profile.connectionPool.maxConnections,
              idleTimeout,
            },
          },
          // Eject pods that fail at the connection level. Not on 5xx: the proxies pass provider
          // outages through as 5xx, and ejecting healthy pods for them would shrink capacity mid-incident.
          outlierDetection: {
            splitExternalLocalOriginErrors: true,
            consecutiveLocalOriginFailures: 5,
            consecutive5xxErrors: 0,
            interval: "10s",
            baseEjectionTime: "30s",
            maxEjectionPercent: 50,
          },
        },
      },
    },
    opts,
  );
}
