/**
 * external-dns on the stack's zone: publishes the hostnames of Gateway API HTTPRoutes (the apps
 * layer's routes) pointing at the gateway's load balancer. TXT ownership records keep it from
 * touching records another stack owns.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { NS } from "./namespaces.ts";

export function installExternalDns(ctx: PlatformContext, deps: pulumi.Resource[]): k8s.helm.v3.Release {
  const { cloud, config, sizing } = ctx;
  const identity = cloud.identities.externalDns;
  return chartRelease(ctx, "externalDns", {
    namespace: NS.externalDns,
    dependsOn: deps,
    values: pulumi.output(cloud.externalDns.values).apply((providerValues) => ({
      // Provider-specific settings first so the zone/ownership settings below always win.
      ...providerValues,
      provider: { name: cloud.externalDns.provider },
      sources: ["gateway-httproute"],
      domainFilters: [config.domain],
      policy: sizing.dnsPolicy,
      registry: "txt",
      txtOwnerId: `${config.project}-${config.stack}`,
      txtPrefix: "_externaldns.",
      serviceAccount: { name: identity.serviceAccount.name, annotations: identity.serviceAccountAnnotations },
      podLabels: identity.podLabels,
      serviceMonitor: { enabled: true },
      ...onSystemNodes(config),
    })),
  });
}
