import { type RuleFixtures, mut, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    {
      name: "namespace with default deny",
      resources: [
        res(T.ns, "llmops", F.namespace("llmops")),
        res(T.np, "dd", F.defaultDeny()),
        dep("router", D),
      ],
    },
    {
      // GKE Dataplane V2 serves only the cluster-wide Cilium kind: it has no namespace to land in.
      name: "cluster-wide Cilium policy without metadata.namespace",
      resources: [
        res(T.ns, "llmops", F.namespace("llmops")),
        res(T.np, "dd", F.defaultDeny()),
        res("kubernetes:cilium.io/v2:CiliumClusterwideNetworkPolicy", "egress-nodes", {
          apiVersion: "cilium.io/v2",
          kind: "CiliumClusterwideNetworkPolicy",
          metadata: { name: "llmops-allow-egress-nodes" },
          spec: {
            endpointSelector: { matchLabels: { "k8s:io.kubernetes.pod.namespace": "llmops" } },
            egress: [{ toEntities: ["host"], toPorts: [{ ports: [{ port: "10250", protocol: "TCP" }] }] }],
          },
        }),
        dep("router", D),
      ],
    },
  ],
  bad: [
    {
      name: "deployment without metadata.namespace (lands in default, which has no policy)",
      resources: [
        res(T.ns, "llmops", F.namespace("llmops")),
        res(T.np, "dd", F.defaultDeny()),
        dep(
          "router",
          mut(D, (d) => delete d.metadata.namespace),
        ),
      ],
    },
    {
      name: "namespace without policy",
      resources: [res(T.ns, "llmops", F.namespace("llmops")), dep("router", D)],
    },
    {
      name: "ingress-only default deny",
      resources: [
        res(T.ns, "llmops", F.namespace("llmops")),
        res(
          T.np,
          "dd",
          mut(F.defaultDeny(), (n) => (n.spec.policyTypes = ["Ingress"])),
        ),
      ],
    },
    { name: "workload namespace not declared", resources: [dep("router", F.deployment("router", "other"))] },
  ],
};
