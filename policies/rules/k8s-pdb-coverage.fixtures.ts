import { type RuleFixtures, mut, D, dep, variant } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const PDB_V1BETA1 = "kubernetes:policy/v1beta1:PodDisruptionBudget";
/** An HPA-managed Deployment: no spec.replicas (the HPA owns it), floor from the HPA. */
const hpaManaged = () => variant((d) => delete d.spec.replicas);
const hpaMin = (min: number) =>
  res(
    T.hpa,
    "router",
    mut(F.hpa(), (h) => (h.spec.minReplicas = min)),
  );
const pdbMin = (min: number) =>
  res(
    T.pdb,
    "router",
    mut(F.pdb(), (p) => (p.spec.minAvailable = min)),
  );

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment with matching pdb", resources: [dep("router", D), res(T.pdb, "router", F.pdb())] },
    {
      name: "HPA-managed deployment (no spec.replicas), HPA floor 3 above minAvailable 2",
      resources: [hpaManaged(), hpaMin(3), pdbMin(2)],
    },
    {
      name: "ScaledObject floor 3 above minAvailable 2",
      resources: [
        dep(
          "cost-api",
          mut(F.deployment("cost-api"), (d) => delete d.spec.replicas),
        ),
        res(T.so, "cost-api", F.scaledObject()),
        res(T.pdb, "cost-api", F.pdb("cost-api")),
      ],
    },
    {
      name: "policy/v1beta1 PDB selecting the pods",
      resources: [
        dep("router", D),
        res(
          PDB_V1BETA1,
          "router",
          mut(F.pdb(), (p) => (p.apiVersion = "policy/v1beta1")),
        ),
      ],
    },
  ],
  bad: [
    { name: "deployment without pdb", resources: [dep("router", D), res(T.pdb, "other", F.pdb("other"))] },
    { name: "pdb blocks all disruptions", resources: [dep("router", D), pdbMin(3)] },
    {
      name: "HPA floor 2 equal to minAvailable 2 (replicas 3 does not count)",
      resources: [dep("router", D), hpaMin(2), pdbMin(2)],
    },
    { name: "HPA floor 1 below minAvailable 2", resources: [hpaManaged(), hpaMin(1), pdbMin(2)] },
    {
      name: "policy/v1beta1 PDB with an empty selector (selects no pods)",
      resources: [
        dep("router", D),
        res(
          PDB_V1BETA1,
          "router",
          mut(F.pdb(), (p) => {
            p.apiVersion = "policy/v1beta1";
            p.spec.selector = {};
          }),
        ),
      ],
    },
  ],
};
