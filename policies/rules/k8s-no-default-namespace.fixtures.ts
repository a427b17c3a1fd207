import { type RuleFixtures, D, dep, mut, variant } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const k8sProvider = (namespace?: string) =>
  res("pulumi:providers:kubernetes", "k8s", namespace ? { namespace } : {});
const viaProvider = (r: ReturnType<typeof dep>, p: ReturnType<typeof k8sProvider>) => ({
  ...r,
  provider: `${p.urn}::5b2a6e1c-0000-4000-8000-000000000001`,
});

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment in the app namespace", resources: [dep("router", D)] },
    { name: "cluster-scoped namespace object", resources: [res(T.ns, "llmops", F.namespace("llmops"))] },
    {
      name: "no metadata.namespace, provider namespace llmops",
      resources: [
        viaProvider(
          variant((d) => delete d.metadata.namespace),
          k8sProvider("llmops"),
        ),
      ],
      context: [k8sProvider("llmops")],
    },
  ],
  bad: [
    { name: "deployment in default", resources: [variant((d) => (d.metadata.namespace = "default"))] },
    {
      name: "deployment without metadata.namespace",
      resources: [variant((d) => delete d.metadata.namespace)],
    },
    {
      name: "no metadata.namespace and a provider without a namespace",
      resources: [
        viaProvider(
          variant((d) => delete d.metadata.namespace),
          k8sProvider(),
        ),
      ],
      context: [k8sProvider()],
    },
    {
      name: "PDB without metadata.namespace",
      resources: [
        res(
          T.pdb,
          "router",
          mut(F.pdb(), (p) => delete p.metadata.namespace),
        ),
      ],
    },
  ],
};
