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
