/**
 * Istio, installed in the order upstream requires: base (CRDs, validation) -> CNI node agent ->
 * istiod -> the ingress gateway. istio-cni does the traffic redirection, so injected pods need no
 * NET_ADMIN init container and the app namespace keeps the restricted Pod Security Standard.
 * mTLS is STRICT in the app namespace: plaintext into a service from outside the mesh is refused.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../config.ts";
import { chartMeta, chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { GATEWAY } from "./names.ts";
import { KUBE_SYSTEM, NS } from "./namespaces.ts";

/**
 * Istio's CNI plugin needs to know where the node keeps CNI binaries; GKE is the one managed
 * platform with a non-default path. (Better carried by CloudLayer; kept here until it is.)
 */
const ISTIO_PLATFORM: Record<Cloud, string | undefined> = { aws: undefined, gcp: "gke", azure: undefined };

export interface Istio {
  base: k8s.helm.v3.Release;
  cni: k8s.helm.v3.Release;
  istiod: k8s.helm.v3.Release;
  gateway: k8s.helm.v3.Release;
  peerAuthentication: k8s.apiextensions.CustomResource;
}

export function installIstio(
  ctx: PlatformContext,
  deps: { namespaces: pulumi.Resource[]; monitoring: pulumi.Resource; gatewayApi: pulumi.Resource },
): Istio {
  const { sizing } = ctx;
  const platform = ISTIO_PLATFORM[ctx.config.cloud];
  const global = { istioNamespace: NS.istioSystem };
  // Only the charts that render CNI paths read global.platform.
  const withPlatform = { ...global, ...(platform ? { platform } : {}) };

  const base = chartRelease(ctx, "istioBase", {
    name: "istio-base",
    namespace: NS.istioSystem,
    dependsOn: deps.namespaces,
    // CRDs as templates (the chart's default, stated): `helm upgrade` upgrades them with the chart.
    values: { defaultRevision: "default", base: { enableCRDTemplates: true }, global },
  });
  const cni = chartRelease(ctx, "istioCni", {
    name: "istio-cni",
    // A privileged node agent: kube-system is the namespace allowed to run one.
    namespace: KUBE_SYSTEM,
    dependsOn: [base],
    values: { global: withPlatform },
  });
  const istiod = chartRelease(ctx, "istiod", {
    namespace: NS.istioSystem,
    // Gateway API CRDs first: istiod only watches the kinds that exist when it starts.
    dependsOn: [base, cni, deps.gatewayApi, deps.monitoring, ...deps.namespaces],
    values: {
      global: withPlatform,
      cni: { enabled: true },
      ...onSystemNodes(ctx.config),
      autoscaleMin: sizing.controllerReplicas,
      autoscaleMax: Math.max(sizing.controllerReplicas, 5),
      replicaCount: sizing.controllerReplicas,
      meshConfig: {
        accessLogFile: "/dev/stdout",
        accessLogEncoding: "JSON",
        // Apps start only once their sidecar is ready (no failed first connections to Kafka/Postgres).
        defaultConfig: { holdApplicationUntilProxyStarts: true },
        enablePrometheusMerge: true,
      },
    },
  });
  const gateway = chartRelease(ctx, "istioGateway", {
    name: GATEWAY.deployment,
    namespace: GATEWAY.namespace,
    dependsOn: [istiod, ...deps.namespaces],
    values: {
      service: {
        type: "LoadBalancer",
        // The cloud's load-balancer flavour and tags (NLB on AWS, L4 on GKE, public-IP tags on AKS).
        annotations: ctx.cloud.publicLoadBalancer.serviceAnnotations,
        // Keep the client address: rate limits and access logs need it.
        externalTrafficPolicy: "Local",
      },
      autoscaling: {
        enabled: true,
        minReplicas: sizing.gateway.minReplicas,
        maxReplicas: sizing.gateway.maxReplicas,
      },
      podDisruptionBudget: sizing.gateway.minReplicas > 1 ? { minAvailable: 1 } : {},
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { app: GATEWAY.deployment } },
        },
      ],
    },
  });

  const peerAuthentication = new k8s.apiextensions.CustomResource(
    `${NS.apps}-mtls-strict`,
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      // "default" is the namespace-wide policy name Istio documents.
      metadata: chartMeta(ctx, "istiod", "mtls", "default", NS.apps),
      spec: { mtls: { mode: "STRICT" } },
    },
    { parent: ctx.parent, dependsOn: [base, ...deps.namespaces] },
  );
  return { base, cni, istiod, gateway, peerAuthentication };
}
