import { asArray, nsOf, typesOf } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const SVC = "kubernetes:core/v1:Service";
const ING = "kubernetes:networking.k8s.io/v1:Ingress";
const GW = typesOf("gateway.networking.k8s.io/Gateway");
const ROUTE = typesOf("gateway.networking.k8s.io/HTTPRoute");
const CM_ANN = ["cert-manager.io/cluster-issuer", "cert-manager.io/issuer"];

/** A host that names one site: set, and not a wildcard. */
const explicitHost = (h: unknown) => typeof h === "string" && h !== "" && !h.includes("*");

export const k8sExposure = resourceRule({
  id: "k8s-exposure",
  description:
    "Workloads are exposed only through HTTPS Gateway listeners with cert-manager certificates: no " +
    "LoadBalancer/NodePort Services for apps, no Service externalIPs (CVE-2020-8554) or ExternalName aliases, Ingresses only with TLS, and " +
    "every Ingress rule and HTTPRoute bound to explicit, non-wildcard hosts. Stricter than Gatekeeper's " +
    "k8sexternalips (no allow-list: the stack never needs one) and than its k8sblockwildcardingress (HTTPRoutes " +
    "too; a route with no backend, such as the HTTPS redirect, may omit hostnames).",
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
    "list spec.tls for every host and carry a cert-manager issuer annotation. Give every Ingress rule a host and " +
    "every HTTPRoute spec.hostnames (exact names, no wildcards), drop Ingress defaultBackend, Service externalIPs and ExternalName Services.",
  types: [SVC, ING, ...GW, ...ROUTE],
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
      // ExternalName hands out a DNS alias the cluster resolves for any target, internal names included.
      if (t === "ExternalName")
        out.push(
          "Service type ExternalName aliases an arbitrary DNS name; call the target directly or via egress rules.",
        );
      // Any user who can set externalIPs can intercept traffic to those IPs cluster-wide (CVE-2020-8554).
      if (asArray(props.spec?.externalIPs).length)
        out.push(`Service sets externalIPs ${props.spec.externalIPs.join(", ")} (CVE-2020-8554).`);
    } else if (args.type === ING) {
      const tls = asArray(props.spec?.tls);
      const tlsHosts = new Set(tls.flatMap((t) => asArray<string>(t?.hosts)));
      if (tls.length === 0) out.push("Ingress has no spec.tls.");
      for (const r of asArray(props.spec?.rules))
        if (r?.host && !tlsHosts.has(r.host)) out.push(`Ingress host ${r.host} is not covered by spec.tls.`);
      if (!hasIssuer) out.push("Ingress has no cert-manager.io/cluster-issuer (or issuer) annotation.");
      if (props.spec?.defaultBackend) out.push("Ingress has a defaultBackend, which serves every host.");
      for (const r of asArray(props.spec?.rules))
        if (!explicitHost(r?.host))
          out.push(`Ingress rule host ${JSON.stringify(r?.host ?? "")} is not an explicit host.`);
    } else if (ROUTE.includes(args.type)) {
      const hostnames = asArray<string>(props.spec?.hostnames);
      const serves = asArray(props.spec?.rules).some((r) => asArray(r?.backendRefs).length > 0);
      if (serves && hostnames.length === 0)
        out.push("HTTPRoute has backends but no spec.hostnames (it serves every host).");
      for (const h of hostnames) if (!explicitHost(h)) out.push(`HTTPRoute hostname ${h} is a wildcard.`);
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
      { apiGroups: ["gateway.networking.k8s.io"], kinds: ["Gateway", "HTTPRoute"] },
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
          "variables.anyObject.kind != 'Service' || !has(variables.anyObject.spec.type) || " +
          "variables.anyObject.spec.type != 'ExternalName'",
        message: "Service type ExternalName aliases an arbitrary DNS name",
      },
      {
        expression:
          "variables.anyObject.kind != 'Service' || !has(variables.anyObject.spec.externalIPs) || " +
          "size(variables.anyObject.spec.externalIPs) == 0",
        message: "Service sets externalIPs (CVE-2020-8554)",
      },
      {
        expression:
          "variables.anyObject.kind != 'Ingress' || (!has(variables.anyObject.spec.defaultBackend) && " +
          "(!has(variables.anyObject.spec.rules) || variables.anyObject.spec.rules.all(r, has(r.host) && " +
          "r.host != '' && !r.host.contains('*'))))",
        message: "every Ingress rule needs an explicit, non-wildcard host, and no defaultBackend",
      },
      {
        expression:
          "variables.anyObject.kind != 'HTTPRoute' || ((!has(variables.anyObject.spec.hostnames) || " +
          "variables.anyObject.spec.hostnames.all(h, h != '' && !h.contains('*'))) && " +
          "((has(variables.anyObject.spec.hostnames) && size(variables.anyObject.spec.hostnames) > 0) || " +
          "!has(variables.anyObject.spec.rules) || !variables.anyObject.spec.rules.exists(r, has(r.backendRefs) && " +
          "size(r.backendRefs) > 0)))",
        message: "an HTTPRoute with backends needs spec.hostnames, with no wildcards",
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
