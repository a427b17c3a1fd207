import { asArray, nsOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const SVC = "kubernetes:core/v1:Service";
const ING = "kubernetes:networking.k8s.io/v1:Ingress";
const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const CM_ANN = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

export const k8sExposure = resourceRule({
  id: "k8s-exposure",
  description:
    "Workloads are exposed only through HTTPS Gateway listeners with cert-manager certificates: no " +
    "LoadBalancer/NodePort Services for apps, Ingresses only with TLS.",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Use TLS/SSL for all external connections"' },
    { seed: "router", item: '"Configure TLS certificates"' },
    { seed: "trace", item: "Ingress with TLS (cert-manager)" },
  ],
  remediation:
    "Use ClusterIP Services and publish them with an HTTPRoute on the shared Gateway; give the Gateway only " +
    "HTTPS listeners with tls.certificateRefs and a cert-manager.io/cluster-issuer annotation (an HTTP listener " +
    "is allowed only for the redirect/ACME with allowedRoutes.namespaces.from: Same). An Ingress must " +
    "list spec.tls for every host and carry a cert-manager issuer annotation.",
  types: [SVC, ING, GW],
  options: { gatewayNamespaces: ["istio-ingress"] as string[] },
  configSchema: { gatewayNamespaces: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const out: string[] = [];
    const ann = props.metadata?.annotations ?? {};
    const hasIssuer = CM_ANN.some((k) => typeof ann[k] === "string" && ann[k] !== "");
    if (args.type === SVC) {
      const t = props.spec?.type ?? "ClusterIP";
      if ((t === "LoadBalancer" || t === "NodePort") && !o.gatewayNamespaces.includes(nsOf(props)))
        out.push(`Service type ${t} exposes the workload directly; use ClusterIP behind the Gateway.`);
    } else if (args.type === ING) {
      const tls = asArray(props.spec?.tls);
      const tlsHosts = new Set(tls.flatMap((t) => asArray<string>(t?.hosts)));
      if (tls.length === 0) out.push("Ingress has no spec.tls.");
      for (const r of asArray(props.spec?.rules))
        if (r?.host && !tlsHosts.has(r.host)) out.push(`Ingress host ${r.host} is not covered by spec.tls.`);
      if (!hasIssuer) out.push("Ingress has no cert-manager.io/cluster-issuer (or issuer) annotation.");
    } else {
      for (const l of asArray(props.spec?.listeners)) {
        // A plain-HTTP listener may exist only for the HTTPS redirect and ACME HTTP-01 challenges: it must
        // not accept routes from other namespaces, so no application can be served over it.
        const internalHttp = l?.protocol === "HTTP" && l?.allowedRoutes?.namespaces?.from === "Same";
        if (l?.protocol !== "HTTPS" && !internalHttp)
          out.push(
            `Gateway listener "${l?.name}" uses ${l?.protocol}; only HTTPS is allowed (HTTP only for redirects, ` +
              "with allowedRoutes.namespaces.from: Same).",
          );
        else if (
          l?.protocol === "HTTPS" &&
          ((l.tls?.mode ?? "Terminate") !== "Terminate" || asArray(l.tls?.certificateRefs).length === 0)
        )
          out.push(`Gateway listener "${l?.name}" does not terminate TLS with certificateRefs.`);
      }
      if (!hasIssuer) out.push("Gateway has no cert-manager.io/cluster-issuer (or issuer) annotation.");
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsExposure",
    match: [
      { apiGroups: [""], kinds: ["Service"] },
      { apiGroups: ["networking.k8s.io"], kinds: ["Ingress"] },
      { apiGroups: ["gateway.networking.k8s.io"], kinds: ["Gateway"] },
    ],
    parameters: { gatewayNamespaces: { type: "array", items: { type: "string" } } },
    params: (c) => ({ gatewayNamespaces: c.gatewayNamespaces }),
    variables: [
      {
        name: "issuer",
        expression:
          "has(variables.anyObject.metadata.annotations) && " +
          "(('cert-manager.io/cluster-issuer' in variables.anyObject.metadata.annotations && " +
          "variables.anyObject.metadata.annotations['cert-manager.io/cluster-issuer'] != '') || " +
          "('cert-manager.io/issuer' in variables.anyObject.metadata.annotations && " +
          "variables.anyObject.metadata.annotations['cert-manager.io/issuer'] != ''))",
      },
      {
        name: "ns",
        expression:
          "has(variables.anyObject.metadata.namespace) ? variables.anyObject.metadata.namespace : 'default'",
      },
    ],
    validations: [
      {
        expression:
          "variables.anyObject.kind != 'Service' || !has(variables.anyObject.spec.type) || " +
          "!(variables.anyObject.spec.type in ['LoadBalancer', 'NodePort']) || variables.ns in variables.params.gatewayNamespaces",
        message:
          "LoadBalancer/NodePort Service exposes the workload directly; use ClusterIP behind the Gateway",
      },
      {
        expression:
          "variables.anyObject.kind != 'Ingress' || (variables.issuer && has(variables.anyObject.spec.tls) && " +
          "size(variables.anyObject.spec.tls) > 0 && (!has(variables.anyObject.spec.rules) || " +
          "variables.anyObject.spec.rules.all(r, !has(r.host) || variables.anyObject.spec.tls.exists(t, " +
          "has(t.hosts) && r.host in t.hosts))))",
        message: "Ingress must have spec.tls for every host and a cert-manager issuer annotation",
      },
      {
        expression:
          "variables.anyObject.kind != 'Gateway' || (variables.issuer && variables.anyObject.spec.listeners.all(l, " +
          "(l.protocol == 'HTTPS' && has(l.tls) && (!has(l.tls.mode) || l.tls.mode == 'Terminate') && " +
          "has(l.tls.certificateRefs) && size(l.tls.certificateRefs) > 0) || (l.protocol == 'HTTP' && " +
          "has(l.allowedRoutes) && has(l.allowedRoutes.namespaces) && has(l.allowedRoutes.namespaces.from) && " +
          "l.allowedRoutes.namespaces.from == 'Same')))",
        message:
          "Gateway listeners must be HTTPS terminating TLS with certificateRefs (HTTP only for same-namespace " +
          "redirect routes), and the Gateway must carry a cert-manager issuer annotation",
      },
    ],
  },
});
