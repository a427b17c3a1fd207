import { nameOf, nsOf, SCALABLE_TYPES, selectorMatches } from "./k8s.ts";
import { stackRule } from "./types.ts";

const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

export const k8sPdbCoverage = stackRule({
  id: "k8s-pdb-coverage",
  description:
    "Every Deployment/StatefulSet is covered by a PodDisruptionBudget that still allows a voluntary disruption.",
  severity: "high",
  category: "reliability",
  checklist: [
    { seed: "sentinel", item: 'High Availability: "Configure Pod Disruption Budget (min 2 available)"' },
    { seed: "costops", item: 'Best Practices: "Use PodDisruptionBudgets" for high availability' },
  ],
  remediation:
    "Create a PodDisruptionBudget in the workload's namespace whose selector matches the pod template labels, " +
    "with minAvailable below the replica count (e.g. replicas 3, minAvailable 2).",
  check(args) {
    const pdbs = args.resources.filter((r) => r.type === PDB);
    const out: { urn: string; message: string }[] = [];
    for (const w of args.resources.filter((r) => SCALABLE_TYPES.includes(r.type))) {
      const ns = nsOf(w.props);
      const podLabels = w.props.spec?.template?.metadata?.labels ?? {};
      const matching = pdbs.filter(
        (p) =>
          nsOf(p.props) === ns && p.props.spec?.selector && selectorMatches(p.props.spec.selector, podLabels),
      );
      const name = nameOf(w.props, w.name);
      if (matching.length === 0) {
        out.push({ urn: w.urn, message: `${ns}/${name} has no PodDisruptionBudget selecting its pods.` });
        continue;
      }
      const replicas = w.props.spec?.replicas ?? 1;
      for (const p of matching) {
        const min = p.props.spec?.minAvailable;
        if (typeof min === "number" && min >= replicas)
          out.push({
            urn: w.urn,
            message: `${ns}/${name}: PDB ${nameOf(p.props, p.name)} minAvailable ${min} >= replicas ${replicas} allows zero disruptions.`,
          });
      }
    }
    return out;
  },
});
