import { type RuleFixtures, D, dep, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const as = (type: string, name: string, inputs: Record<string, any>) => {
  const [, gv] = type.split(":");
  return res(
    type,
    name,
    mut(inputs, (x) => (x.apiVersion = gv!.startsWith("core/") ? gv!.slice(5) : gv)),
  );
};

export const fixtures: RuleFixtures = {
  good: [
    { name: "apps/v1 Deployment", resources: [dep("router", D)] },
    { name: "policy/v1 PDB", resources: [res(T.pdb, "router", F.pdb())] },
    {
      name: "autoscaling/v1 HPA (served, evaluated)",
      resources: [as("kubernetes:autoscaling/v1:HorizontalPodAutoscaler", "router", F.hpa())],
    },
    {
      name: "a kind the pack does not police",
      resources: [res("kubernetes:networking.istio.io/v1:DestinationRule", "dr", {})],
    },
  ],
  bad: [
    {
      name: "policy/v1beta1 PDB (evaluated, but removed in 1.25)",
      resources: [as("kubernetes:policy/v1beta1:PodDisruptionBudget", "router", F.pdb())],
    },
    {
      name: "autoscaling/v2beta1 HPA (not evaluated)",
      resources: [as("kubernetes:autoscaling/v2beta1:HorizontalPodAutoscaler", "router", F.hpa())],
    },
    { name: "apps/v1beta2 Deployment", resources: [as("kubernetes:apps/v1beta2:Deployment", "router", D)] },
    {
      name: "extensions/v1beta1 Ingress",
      resources: [as("kubernetes:extensions/v1beta1:Ingress", "legacy", F.ingress())],
    },
  ],
};
