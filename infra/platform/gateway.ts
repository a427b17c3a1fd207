/**
 * North-south traffic through the Kubernetes Gateway API: the standard-channel CRDs, one Gateway
 * bound to the Istio ingress gateway, HTTPS on the stack's domain with a certificate cert-manager
 * issues for the listener (gateway-shim),
 * HTTP only to redirect, and the edge limits (local rate limiting and security headers) as
 * EnvoyFilters on the gateway's Envoy.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartMeta, type PlatformContext } from "./context.ts";
import { GATEWAY, ISSUERS } from "./names.ts";
import { NS } from "./namespaces.ts";
import { GATEWAY_API } from "./versions.ts";

const GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1";
/** The gateway chart labels its pods istio=<release name without the istio- prefix>. */
export const GATEWAY_POD_LABELS = { istio: GATEWAY.deployment.replace(/^istio-/, "") };
export const PUBLIC_TLS_SECRET = "public-tls";

/**
 * The seed's edge limits. Envoy's local rate limit counts per gateway replica: with N replicas the
 * edge admits up to N times these numbers (a global limit needs a rate-limit service).
 */
export const RATE_LIMITS = {
  global: { requests: 100, per: "1s" },
  api: { requests: 50, per: "1s", pathPrefixes: ["/v1/", "/api/"] },
  auth: { requests: 10, per: "60s", pathPrefixes: ["/auth", "/login", "/oauth", "/api/v1/auth"] },
} as const;

export const SECURITY_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "permissions-policy": "geolocation=(), microphone=(), camera=()",
};

/** Gateway API CRDs from the upstream release asset (not a chart), pinned in versions.ts. */
export function installGatewayApiCrds(ctx: PlatformContext): k8s.yaml.v2.ConfigFile {
  return new k8s.yaml.v2.ConfigFile(
    `gateway-api-${GATEWAY_API.channel}-crds`,
    { file: GATEWAY_API.url },
    { parent: ctx.parent },
  );
}

/**
 * The issuer of the public certificate: the environment's (production in prod) once the stack says
 * its zone is delegated, staging before, so a first run cannot spend Let's Encrypt's production limits.
 */
export function publicIssuer(ctx: PlatformContext): string {
  return ctx.config.dnsDelegated ? ctx.sizing.publicIssuer : ISSUERS.staging;
}

export interface PublicGateway {
  gateway: k8s.apiextensions.CustomResource;
  redirect: k8s.apiextensions.CustomResource;
  rateLimit: k8s.apiextensions.CustomResource;
  securityHeaders: k8s.apiextensions.CustomResource;
}

export function createPublicGateway(
  ctx: PlatformContext,
  deps: {
    gatewayApi: pulumi.Resource;
    certManager: pulumi.Resource;
    issuers: pulumi.Resource[];
    istioBase: pulumi.Resource;
    istiod: pulumi.Resource;
    ingressGateway: pulumi.Resource;
  },
): PublicGateway {
  const domain = ctx.config.domain;
  const meta = (component: string, name: string) =>
    chartMeta(ctx, "istioGateway", component, name, GATEWAY.namespace);

  const gateway = new k8s.apiextensions.CustomResource(
    `${GATEWAY.namespace}-${GATEWAY.name}`,
    {
      apiVersion: GATEWAY_API_VERSION,
      kind: "Gateway",
      metadata: chartMeta(ctx, "istioGateway", "gateway", GATEWAY.name, GATEWAY.namespace, {
        // cert-manager's gateway-shim issues the listener certificate (Secret public-tls, the
        // listener's hostname) from this issuer and renews it; DNS-01 covers the wildcard.
        annotations: { "cert-manager.io/cluster-issuer": publicIssuer(ctx) },
      }),
      spec: {
        gatewayClassName: GATEWAY.className,
        // Bind to the gateway chart's Deployment/Service instead of letting istiod create another one.
        addresses: [
          { type: "Hostname", value: `${GATEWAY.deployment}.${GATEWAY.namespace}.svc.cluster.local` },
        ],
        listeners: [
          {
            name: GATEWAY.httpsListener,
            hostname: `*.${domain}`,
            port: 443,
            protocol: "HTTPS",
            tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: PUBLIC_TLS_SECRET }] },
            // Only the app namespace (and Grafana, behind single sign-on) may attach routes to the public listener.
            allowedRoutes: {
              namespaces: {
                from: "Selector",
                selector: {
                  matchExpressions: [
                    { key: "kubernetes.io/metadata.name", operator: "In", values: [NS.apps, NS.monitoring] },
                  ],
                },
              },
            },
          },
          {
            name: GATEWAY.httpListener,
            port: 80,
            protocol: "HTTP",
            // The redirect and cert-manager's HTTP-01 solver routes live next to the Gateway.
            allowedRoutes: { namespaces: { from: "Same" } },
          },
        ],
      },
    },
    {
      parent: ctx.parent,
      dependsOn: [deps.gatewayApi, deps.istiod, deps.ingressGateway, deps.certManager, ...deps.issuers],
    },
  );

  const redirect = new k8s.apiextensions.CustomResource(
    `${GATEWAY.namespace}-https-redirect`,
    {
      apiVersion: GATEWAY_API_VERSION,
      kind: "HTTPRoute",
      metadata: meta("redirect", "https-redirect"),
      spec: {
        parentRefs: [{ name: GATEWAY.name, sectionName: GATEWAY.httpListener }],
        rules: [
          { filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
        ],
      },
    },
    { parent: ctx.parent, dependsOn: [deps.gatewayApi, gateway] },
  );

  const envoyFilter = (name: string, patches: unknown[]) =>
    new k8s.apiextensions.CustomResource(
      `${GATEWAY.namespace}-${name}`,
      {
        apiVersion: "networking.istio.io/v1alpha3",
        kind: "EnvoyFilter",
        metadata: meta("edge-policy", name),
        spec: {
          workloadSelector: { labels: GATEWAY_POD_LABELS },
          configPatches: patches,
        },
      },
      { parent: ctx.parent, dependsOn: [deps.istioBase, deps.ingressGateway] },
    );
  const beforeRouter = {
    context: "GATEWAY",
    listener: {
      filterChain: {
        filter: {
          name: "envoy.filters.network.http_connection_manager",
          subFilter: { name: "envoy.filters.http.router" },
        },
      },
    },
  };
  const rateLimit = envoyFilter("local-rate-limit", [
    {
      applyTo: "HTTP_FILTER",
      match: beforeRouter,
      patch: { operation: "INSERT_BEFORE", value: localRateLimit() },
    },
  ]);
  const securityHeaders = envoyFilter("security-headers", [
    {
      applyTo: "HTTP_FILTER",
      match: beforeRouter,
      patch: {
        operation: "INSERT_BEFORE",
        value: {
          name: "envoy.filters.http.lua",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            default_source_code: { inline_string: securityHeadersLua() },
          },
        },
      },
    },
  ]);
  return { gateway, redirect, rateLimit, securityHeaders };
}

/** Envoy local_ratelimit: the global bucket for every request, tighter buckets by path class. */
function localRateLimit() {
  const bucket = (l: { requests: number; per: string }) => ({
    max_tokens: l.requests,
    tokens_per_fill: l.requests,
    fill_interval: l.per,
  });
  const percent100 = { default_value: { numerator: 100, denominator: "HUNDRED" } };
  const classes = [
    ["auth", RATE_LIMITS.auth],
    ["api", RATE_LIMITS.api],
  ] as const;
  return {
    name: "envoy.filters.http.local_ratelimit",
    typed_config: {
      "@type": "type.googleapis.com/udpa.type.v1.TypedStruct",
      type_url: "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
      value: {
        stat_prefix: "http_local_rate_limiter",
        token_bucket: bucket(RATE_LIMITS.global),
        filter_enabled: { runtime_key: "local_rate_limit_enabled", ...percent100 },
        filter_enforced: { runtime_key: "local_rate_limit_enforced", ...percent100 },
        response_headers_to_add: [
          {
            append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
            header: { key: "x-local-rate-limit", value: "true" },
          },
        ],
        // Descriptors generated here, not on routes: the apps layer's HTTPRoutes need no annotations.
        rate_limits: classes.flatMap(([cls, limit]) =>
          limit.pathPrefixes.map((prefix) => ({
            actions: [
              {
                header_value_match: {
                  descriptor_key: "path_class",
                  descriptor_value: cls,
                  headers: [{ name: ":path", string_match: { prefix } }],
                },
              },
            ],
          })),
        ),
        descriptors: classes.map(([cls, limit]) => ({
          entries: [{ key: "path_class", value: cls }],
          token_bucket: bucket(limit),
        })),
      },
    },
  };
}

function securityHeadersLua(): string {
  const lines = Object.entries(SECURITY_HEADERS).map(
    ([k, v]) => `  headers:replace("${k}", "${v.replace(/"/g, '\\"')}")`,
  );
  return [
    "function envoy_on_response(response_handle)",
    "  local headers = response_handle:headers()",
    ...lines,
    "end",
    "",
  ].join("\n");
}
