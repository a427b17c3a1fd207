import { type RuleFixtures, mut, c0, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "tagged allowed image", resources: [dep("router", D)] },
    {
      name: "digest-pinned image",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).image = `ghcr.io/acme/llmops/router@sha256:${"a".repeat(64)}`)),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "latest tag",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops/router:latest")),
        ),
      ],
    },
    {
      name: "no tag",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops/router")),
        ),
      ],
    },
    {
      name: "foreign registry",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).image = "docker.io/library/nginx:1.27")),
        ),
      ],
    },
    {
      name: "registry prefix lookalike",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).image = "ghcr.io/acme/llmops-evil/router:1.0.0")),
        ),
      ],
    },
  ],
};
