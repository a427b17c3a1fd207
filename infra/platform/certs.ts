/**
 * cert-manager and the Let's Encrypt ClusterIssuers. DNS-01 on the stack's own zone is the primary
 * solver (works for wildcards and before the gateway has an address); HTTP-01 through the public
 * Gateway is the fallback for names outside the zone.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartMeta, chartRelease, type PlatformContext } from "./context.ts";
import { onSystemNodes } from "./placement.ts";
import { GATEWAY, ISSUERS } from "./names.ts";
import { NS } from "./namespaces.ts";

const ACME_SERVERS: Record<keyof typeof ISSUERS, string> = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  prod: "https://acme-v02.api.letsencrypt.org/directory",
};

export interface CertManager {
  release: k8s.helm.v3.Release;
  issuers: k8s.apiextensions.CustomResource[];
}

export function installCertManager(ctx: PlatformContext, deps: pulumi.Resource[]): CertManager {
  const { sizing, cloud } = ctx;
  const identity = cloud.identities.certManager;
  const ha = { enabled: sizing.controllerReplicas > 1, minAvailable: 1 };
  const release = chartRelease(ctx, "certManager", {
    namespace: NS.certManager,
    dependsOn: deps,
    values: {
      // Installs and upgrades the CRDs with the chart; keep them if the release is ever removed
      // (deleting the CRDs would garbage-collect every Certificate).
      crds: { enabled: true, keep: true },
      replicaCount: sizing.controllerReplicas,
      podDisruptionBudget: ha,
      ...onSystemNodes(ctx.config),
      webhook: {
        replicaCount: sizing.controllerReplicas,
        podDisruptionBudget: ha,
        ...onSystemNodes(ctx.config),
      },
      cainjector: {
        replicaCount: sizing.controllerReplicas,
        podDisruptionBudget: ha,
        ...onSystemNodes(ctx.config),
      },
      startupapicheck: onSystemNodes(ctx.config),
      // The cloud identity trusts exactly this ServiceAccount (IRSA / GKE WI / Entra WI subject).
      serviceAccount: { name: identity.serviceAccount.name, annotations: identity.serviceAccountAnnotations },
      podLabels: identity.podLabels,
      // Lets the HTTP-01 fallback answer through the Gateway API (HTTPRoute on the public Gateway).
      config: {
        apiVersion: "controller.config.cert-manager.io/v1alpha1",
        kind: "ControllerConfiguration",
        enableGatewayAPI: true,
      },
      prometheus: { enabled: true, servicemonitor: { enabled: true } },
    },
  });

  const issuers = (Object.keys(ISSUERS) as (keyof typeof ISSUERS)[]).map(
    (which) =>
      new k8s.apiextensions.CustomResource(
        ISSUERS[which],
        {
          apiVersion: "cert-manager.io/v1",
          kind: "ClusterIssuer",
          metadata: chartMeta(ctx, "certManager", "issuer", ISSUERS[which], undefined),
          spec: {
            acme: {
              server: ACME_SERVERS[which],
              email: ctx.config.acmeEmail,
              privateKeySecretRef: { name: `${ISSUERS[which]}-account-key` },
              solvers: pulumi.output(cloud.dns01Solver).apply((dns01) => [
                // The selector makes DNS-01 the more specific match for every name in the zone.
                { selector: { dnsZones: [ctx.config.domain] }, dns01 },
                {
                  http01: {
                    gatewayHTTPRoute: {
                      parentRefs: [
                        {
                          group: "gateway.networking.k8s.io",
                          kind: "Gateway",
                          name: GATEWAY.name,
                          namespace: GATEWAY.namespace,
                          sectionName: GATEWAY.httpListener,
                        },
                      ],
                    },
                  },
                },
              ]),
            },
          },
        },
        { parent: ctx.parent, dependsOn: [release] },
      ),
  );
  return { release, issuers };
}
