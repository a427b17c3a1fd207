import {
  asArray,
  nameOf,
  nsOf,
  PDB_TYPES,
  SCALABLE_TYPES,
  SCALER_TYPES,
  scalerOf,
  selectorMatches,
} from "./k8s.ts";
import { stackRule } from "./types.ts";

/** policy/v1beta1 reads an empty selector as "no pods" (policy/v1: every pod in the namespace). */
function pdbSelects(type: string, selector: any, podLabels: Record<string, string>): boolean {
  if (!selector) return false;
  const empty = !Object.keys(selector.matchLabels ?? {}).length && !asArray(selector.matchExpressions).length;
  if (empty && type.includes("/v1beta1:")) return false;
  return selectorMatches(selector, podLabels);
}

export const k8sPdbCoverage = stackRule({
  id: "k8s-pdb-coverage",
  description:
    "Every Deployment/StatefulSet is covered by a PodDisruptionBudget that still allows a voluntary disruption " +
    "at the workload's floor: its autoscaler's minimum when an HPA or ScaledObject scales it (spec.replicas is " +
    "then only the starting size), else spec.replicas. policy/v1beta1 PDBs count, with their own empty-selector " +
    "meaning.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure Pod Disruption Budget (min 2 available)"' },
    { seed: "costops", item: 'Best Practices: "Use PodDisruptionBudgets" for high availability' },
  ],
  remediation:
    "Create a PodDisruptionBudget in the workload's namespace whose selector matches the pod template labels, " +
    "with minAvailable below the workload's floor (the HPA/ScaledObject minimum, else the replica count; e.g. " +
    "floor 3, minAvailable 2).",
  check(args) {
    const pdbs = args.resources.filter((r) => PDB_TYPES.includes(r.type));
    const scalers = args.resources
      .filter((r) => SCALER_TYPES.includes(r.type))
      .map((r) => scalerOf(r.type, r.props, r.provider));
    const out: { urn: string; message: string }[] = [];
    for (const w of args.resources.filter((r) => SCALABLE_TYPES.includes(r.type))) {
      const ns = nsOf(w.props, w.provider);
      const podLabels = w.props.spec?.template?.metadata?.labels ?? {};
      const matching = pdbs.filter(
        (p) => nsOf(p.props, p.provider) === ns && pdbSelects(p.type, p.props.spec?.selector, podLabels),
      );
      const name = nameOf(w.props, w.name);
      if (matching.length === 0) {
        out.push({ urn: w.urn, message: `${ns}/${name} has no PodDisruptionBudget selecting its pods.` });
        continue;
      }
      const kind = w.type.split(":")[2];
      const scaler = scalers.find((s) => s.ns === ns && s.name === name && s.kind === kind);
      const floor = scaler ? scaler.min : (w.props.spec?.replicas ?? 1);
      const what = scaler ? "autoscaler minimum" : "replicas";
      for (const p of matching) {
        const min = p.props.spec?.minAvailable;
        if (typeof min === "number" && min >= floor)
          out.push({
            urn: w.urn,
            message: `${ns}/${name}: PDB ${nameOf(p.props, p.name)} minAvailable ${min} >= ${what} ${floor} allows zero disruptions.`,
          });
      }
    }
    return out;
  },
});
