import { type RuleFixtures, pod, variant, D, dep } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

const SA = "kubernetes:core/v1:ServiceAccount";
const sa = (automount?: boolean) =>
  res(SA, "router", {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "router", namespace: "llmops", labels: D.metadata.labels },
    ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
  });

export const fixtures: RuleFixtures = {
  good: [
    { name: "own ServiceAccount, token not mounted", resources: [dep("router", D)] },
    { name: "ServiceAccount with automount false", resources: [sa(false)] },
    { name: "ServiceAccount leaving automount unset (pods decide)", resources: [sa()] },
    {
      name: "exempt workload that calls the API",
      options: { exempt: ["llmops/router"] },
      resources: [variant((d) => (pod(d).automountServiceAccountToken = true))],
    },
  ],
  bad: [
    {
      name: "app pod mounts the token",
      resources: [variant((d) => (pod(d).automountServiceAccountToken = true))],
    },
    {
      name: "app pod leaves automount to the ServiceAccount",
      resources: [variant((d) => delete pod(d).automountServiceAccountToken)],
    },
    {
      name: "app pod under the default ServiceAccount",
      resources: [variant((d) => (pod(d).serviceAccountName = "default"))],
    },
    {
      name: "app pod without a ServiceAccount name",
      resources: [variant((d) => delete pod(d).serviceAccountName)],
    },
    { name: "ServiceAccount turns automount on", resources: [sa(true)] },
  ],
};
