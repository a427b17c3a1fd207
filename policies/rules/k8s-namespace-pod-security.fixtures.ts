import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "restricted app namespace", resources: [res(T.ns, "llmops", F.namespace("llmops"))] },
    {
      name: "baseline platform namespace",
      resources: [res(T.ns, "kafka", F.namespace("kafka", "baseline"))],
    },
    {
      name: "privileged node-agent namespace",
      resources: [res(T.ns, "kube-system", F.namespace("kube-system", "privileged"))],
    },
  ],
  bad: [
    { name: "baseline app namespace", resources: [res(T.ns, "llmops", F.namespace("llmops", "baseline"))] },
    {
      name: "no enforce label",
      resources: [
        res(
          T.ns,
          "llmops",
          mut(F.namespace("llmops"), (n) => delete n.metadata.labels["pod-security.kubernetes.io/enforce"]),
        ),
      ],
    },
    {
      name: "privileged platform namespace",
      resources: [res(T.ns, "kafka", F.namespace("kafka", "privileged"))],
    },
    {
      name: "privileged monitoring namespace",
      resources: [res(T.ns, "monitoring", F.namespace("monitoring", "privileged"))],
    },
  ],
};
