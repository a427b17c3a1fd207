import { asArray, nameOf, nsOf, typeParts, typesOf } from "./k8s.ts";
import { stackRule } from "./types.ts";

const ING = typesOf("networking.k8s.io/Ingress");
const ROUTE = typesOf("gateway.networking.k8s.io/HTTPRoute");

export const k8sUniqueHosts = stackRule({
  id: "k8s-unique-hosts",
  description:
    "Each hostname is served from one namespace: no Ingress or HTTPRoute claims a host another namespace's " +
    "routes already serve, so one team's route cannot take over another's traffic. Looser than Gatekeeper's " +
    "k8suniqueingresshost by design: routes in the same namespace may split one host by path.",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "core", item: 'Network Policies: "Namespace isolation"' },
    { seed: "sentinel", item: 'Security: "Use TLS/SSL for all external connections"' },
  ],
  remediation:
    "Serve each hostname from the namespace that owns it (one HTTPRoute or Ingress per host and namespace, " +
    "path rules inside it); give other apps their own hostnames.",
  check(args) {
    const claims = new Map<string, { urn: string; ns: string; what: string }[]>();
    for (const r of args.resources.filter((x) => ING.includes(x.type) || ROUTE.includes(x.type))) {
      const hosts = ING.includes(r.type)
        ? asArray(r.props.spec?.rules).map((x) => x?.host)
        : asArray(r.props.spec?.hostnames);
      const ns = nsOf(r.props, r.provider);
      const what = `${typeParts(r.type)!.kind} ${ns}/${nameOf(r.props, r.name)}`;
      for (const h of new Set(hosts.filter((x): x is string => typeof x === "string" && x !== "")))
        claims.set(h.toLowerCase(), [...(claims.get(h.toLowerCase()) ?? []), { urn: r.urn, ns, what }]);
    }
    const out: { urn: string; message: string }[] = [];
    for (const [host, cs] of claims) {
      if (new Set(cs.map((c) => c.ns)).size < 2) continue;
      for (const c of cs)
        out.push({
          urn: c.urn,
          message: `${c.what} serves ${host}, which is also served from ${cs
            .filter((o) => o.ns !== c.ns)
            .map((o) => o.what)
            .join(", ")}.`,
        });
    }
    return out;
  },
});
