import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const route = (name: string, ns: string, host: string) =>
  res(
    T.route,
    `${ns}-${name}`,
    mut(F.httpRoute(name, ns), (r) => (r.spec.hostnames = [host])),
  );

export const fixtures: RuleFixtures = {
  good: [
    {
      name: "one host per namespace",
      resources: [
        route("router", "llmops", "api.llmops.example.com"),
        route("grafana", "monitoring", "grafana.llmops.example.com"),
      ],
    },
    {
      name: "two routes of one namespace splitting a host by path",
      resources: [
        route("router", "llmops", "api.llmops.example.com"),
        route("trace-proxy", "llmops", "api.llmops.example.com"),
      ],
    },
  ],
  bad: [
    {
      name: "an HTTPRoute in another namespace claims the app's host",
      resources: [
        route("router", "llmops", "api.llmops.example.com"),
        route("shadow", "sandbox", "API.llmops.example.com"),
      ],
    },
    {
      name: "an Ingress in another namespace claims an HTTPRoute's host",
      resources: [
        route("router", "llmops", "legacy.llmops.example.com"),
        res(
          T.ing,
          "legacy",
          mut(F.ingress(), (i) => (i.metadata.namespace = "legacy")),
        ),
      ],
    },
  ],
};
