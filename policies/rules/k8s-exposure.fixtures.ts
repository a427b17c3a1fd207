import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "ClusterIP service", resources: [res(T.svc, "router", F.service())] },
    {
      name: "LoadBalancer in gateway namespace",
      resources: [
        res(
          T.svc,
          "gw",
          mut(F.service("public", "istio-ingress"), (s) => (s.spec.type = "LoadBalancer")),
        ),
      ],
    },
    { name: "HTTPS gateway", resources: [res(T.gw, "public", F.gateway())] },
    { name: "ingress with tls", resources: [res(T.ing, "legacy", F.ingress())] },
    { name: "HTTPRoute with a hostname", resources: [res(T.route, "router", F.httpRoute())] },
    {
      name: "backend-less redirect HTTPRoute without hostnames",
      resources: [
        res(
          T.route,
          "https-redirect",
          mut(F.httpRoute("https-redirect", "istio-ingress"), (r) => {
            delete r.spec.hostnames;
            r.spec.rules = [
              {
                filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }],
              },
            ];
          }),
        ),
      ],
    },
    {
      name: "v1beta1 HTTPRoute with a hostname",
      resources: [
        res(
          "kubernetes:gateway.networking.k8s.io/v1beta1:HTTPRoute",
          "router",
          mut(F.httpRoute(), (r) => (r.apiVersion = "gateway.networking.k8s.io/v1beta1")),
        ),
      ],
    },
    {
      name: "HTTP listener for same-namespace redirects",
      resources: [
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
      ],
    },
  ],
  bad: [
    {
      name: "ExternalName Service",
      resources: [
        res(
          T.svc,
          "db",
          mut(F.service("db"), (x) => {
            x.spec = { type: "ExternalName", externalName: "metadata.google.internal" };
          }),
        ),
      ],
    },
    {
      name: "Service with externalIPs (CVE-2020-8554)",
      resources: [
        res(
          T.svc,
          "router",
          mut(F.service(), (x) => (x.spec.externalIPs = ["203.0.113.10"])),
        ),
      ],
    },
    {
      name: "externalIPs in the gateway namespace too",
      resources: [
        res(
          T.svc,
          "gw",
          mut(F.service("gw", "istio-ingress"), (x) => {
            x.spec.type = "LoadBalancer";
            x.spec.externalIPs = ["203.0.113.10"];
          }),
        ),
      ],
    },
    {
      name: "ingress rule without a host",
      resources: [
        res(
          T.ing,
          "legacy",
          mut(F.ingress(), (i) => i.spec.rules.push({ http: { paths: [] } })),
        ),
      ],
    },
    {
      name: "ingress with a wildcard host",
      resources: [
        res(
          T.ing,
          "legacy",
          mut(F.ingress(), (i) => {
            i.spec.rules[0].host = "*.llmops.example.com";
            i.spec.tls[0].hosts = ["*.llmops.example.com"];
          }),
        ),
      ],
    },
    {
      name: "ingress defaultBackend",
      resources: [
        res(
          T.ing,
          "legacy",
          mut(
            F.ingress(),
            (i) => (i.spec.defaultBackend = { service: { name: "router", port: { number: 8080 } } }),
          ),
        ),
      ],
    },
    {
      name: "HTTPRoute with backends and no hostnames",
      resources: [
        res(
          T.route,
          "router",
          mut(F.httpRoute(), (r) => delete r.spec.hostnames),
        ),
      ],
    },
    {
      name: "HTTPRoute with a wildcard hostname",
      resources: [
        res(
          T.route,
          "router",
          mut(F.httpRoute(), (r) => (r.spec.hostnames = ["*.example.com"])),
        ),
      ],
    },
    {
      name: "LoadBalancer app service",
      resources: [
        res(
          T.svc,
          "router",
          mut(F.service(), (s) => (s.spec.type = "LoadBalancer")),
        ),
      ],
    },
    {
      name: "NodePort app service",
      resources: [
        res(
          T.svc,
          "router",
          mut(F.service(), (s) => (s.spec.type = "NodePort")),
        ),
      ],
    },
    {
      name: "HTTP gateway listener",
      resources: [
        res(
          T.gw,
          "public",
          mut(F.gateway(), (g) => g.spec.listeners.push({ name: "http", port: 80, protocol: "HTTP" })),
        ),
      ],
    },
    {
      name: "gateway without cert-manager",
      resources: [
        res(
          T.gw,
          "public",
          mut(F.gateway(), (g) => delete g.metadata.annotations),
        ),
      ],
    },
    {
      name: "gateway listener without certificateRefs",
      resources: [
        res(
          T.gw,
          "public",
          mut(F.gateway(), (g) => delete g.spec.listeners[0].tls),
        ),
      ],
    },
    {
      name: "ingress without tls",
      resources: [
        res(
          T.ing,
          "legacy",
          mut(F.ingress(), (i) => delete i.spec.tls),
        ),
      ],
    },
    {
      name: "ingress host not in tls",
      resources: [
        res(
          T.ing,
          "legacy",
          mut(F.ingress(), (i) => i.spec.rules.push({ host: "other.example.com" })),
        ),
      ],
    },
    {
      name: "TCP listener",
      resources: [
        res(
          T.gw,
          "public",
          mut(F.gateway(), (g) => g.spec.listeners.push({ name: "pg", port: 5432, protocol: "TCP" })),
        ),
      ],
    },
  ],
};
