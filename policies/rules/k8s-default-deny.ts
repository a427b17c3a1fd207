import { asArray, isNamespaced, nsOf } from "./k8s.ts";
import { stackRule } from "./types.ts";

const NS = "kubernetes:core/v1:Namespace";
const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

/** A NetworkPolicy selecting every pod and allowing nothing in the given direction. */
export function deniesAll(np: Record<string, any>, dir: "Ingress" | "Egress"): boolean {
  const s = np.spec ?? {};
  const sel = s.podSelector ?? {};
  const all = Object.keys(sel.matchLabels ?? {}).length === 0 && asArray(sel.matchExpressions).length === 0;
  const types: string[] = asArray(s.policyTypes);
  const key = dir === "Ingress" ? "ingress" : "egress";
  const declared = types.includes(dir) || (dir === "Ingress" && types.length === 0);
  return all && declared && asArray(s[key]).length === 0;
}

export const k8sDefaultDeny = stackRule({
  id: "k8s-default-deny",
  description:
    "Every namespace the stack manages or deploys into has a default-deny NetworkPolicy (ingress and egress); " +
    "an object without metadata.namespace counts for the namespace it lands in (the Kubernetes provider's, " +
    "else 'default').",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Enable network policies"' },
    {
      seed: "core",
      item: 'Network Policies: "Default deny-all policies", "Explicit allow rules per service"',
    },
    { seed: "router", item: '"Configure network policies"' },
  ],
  remediation:
    "Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no rules in each namespace, " +
    "then explicit allow policies per service (DNS egress, Gateway ingress, Prometheus scrape, Kafka/Postgres).",
  options: { directions: ["Ingress", "Egress"] as string[], exemptNamespaces: ["kube-system"] as string[] },
  configSchema: {
    directions: { type: "array", items: { type: "string", enum: ["Ingress", "Egress"] } },
    exemptNamespaces: { type: "array", items: { type: "string" } },
  },
  check(args, o) {
    const namespaces = new Map<string, string | undefined>();
    for (const r of args.resources) {
      if (r.type === NS) namespaces.set(r.props.metadata?.name ?? r.name, r.urn);
      else if (isNamespaced(r.type)) {
        // An object without metadata.namespace lands in the provider's namespace, "default" unless set.
        const ns = nsOf(r.props, r.provider);
        // Not declared by the stack: report against the first object deployed into it.
        if (!namespaces.has(ns)) namespaces.set(ns, r.urn);
      }
    }
    const nps = args.resources.filter((r) => r.type === NP);
    const out: { urn?: string; message: string }[] = [];
    for (const [ns, urn] of namespaces) {
      if (o.exemptNamespaces.includes(ns)) continue;
      const here = nps.filter((n) => nsOf(n.props, n.provider) === ns);
      const missing = o.directions.filter(
        (d) => !here.some((n) => deniesAll(n.props, d as "Ingress" | "Egress")),
      );
      if (missing.length)
        out.push({
          ...(urn ? { urn } : {}),
          message: `namespace ${ns} has no default-deny NetworkPolicy for ${missing.join(" and ")}.`,
        });
    }
    return out;
  },
});
