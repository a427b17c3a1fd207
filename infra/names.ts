/**
 * Names the layers agree on before any of them exists: the namespaces, and the ServiceAccounts that
 * cloud identities are bound to (the cloud layer binds them, the platform installs the charts with
 * them). Plain data, read by the cloud and platform layers and by the policy-config generator; it
 * belongs to no layer, so none of them has to import another for it.
 */

/** Namespace names. */
export const NS = {
  apps: "llmops",
  kafka: "kafka",
  certManager: "cert-manager",
  monitoring: "monitoring",
  keda: "keda",
  gatekeeper: "gatekeeper-system",
  istioSystem: "istio-system",
  istioIngress: "istio-ingress",
  externalSecrets: "external-secrets",
  externalDns: "external-dns",
  vpa: "vpa",
  velero: "velero",
  metricsServer: "metrics-server",
} as const;
export type NamespaceKey = keyof typeof NS;

/**
 * Ports the API server dials inside the cluster: admission webhooks and aggregated APIs, at the
 * charts' defaults. The platform opens them in each namespace's NetworkPolicy; the cloud opens them
 * between the control plane and the nodes where it firewalls that path (GKE private clusters allow
 * only 443 and 10250 on their own).
 */
export const WEBHOOK_PORTS = {
  /** cert-manager, external-secrets and the Prometheus operator serve their webhooks here. */
  controllers: 10250,
  istiodInjector: 15017,
  gatekeeper: 8443,
  kedaWebhook: 9443,
  kedaMetricsApi: 6443,
  /** metrics-server's resource metrics API (its chart's containerPort). */
  metricsServer: 10250,
} as const;

/** Node agents run in kube-system (privileged PSA, managed by the cloud); we only reference it. */
export const KUBE_SYSTEM = "kube-system";

/**
 * The node autoscaler's ServiceAccount, where the cloud does not scale nodes itself (EKS): the cloud
 * layer binds its identity to this subject, the platform installs the cluster-autoscaler chart with it.
 */
export const NODE_AUTOSCALER_SERVICE_ACCOUNT = {
  namespace: KUBE_SYSTEM,
  name: "cluster-autoscaler",
} as const;

/** Components that read or write cloud APIs from inside the cluster. */
export type IdentityConsumer =
  "externalSecrets" | "externalDns" | "certManager" | "loki" | "tempo" | "velero";

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/**
 * Where each consumer's ServiceAccount lives. Fixed here (not per cloud) because the cloud identity
 * is bound to the exact subject system:serviceaccount:<namespace>:<name> before the chart exists.
 */
export const SERVICE_ACCOUNTS: Record<IdentityConsumer, ServiceAccountRef> = {
  externalSecrets: { namespace: NS.externalSecrets, name: "external-secrets" },
  externalDns: { namespace: NS.externalDns, name: "external-dns" },
  certManager: { namespace: NS.certManager, name: "cert-manager" },
  loki: { namespace: NS.monitoring, name: "loki" },
  tempo: { namespace: NS.monitoring, name: "tempo" },
  velero: { namespace: NS.velero, name: "velero" },
};

/**
 * A service's ServiceAccount: named after the service in the apps namespace. The cloud layer binds a
 * service's cloud identity (its Postgres login) to exactly this subject before the apps layer creates it.
 */
export function appServiceAccount(service: string): ServiceAccountRef {
  return { namespace: NS.apps, name: service };
}

/**
 * The Postgres roles Job's ServiceAccount. Where the cloud's administrator of identity-mapped roles is
 * itself a workload identity (Azure's Entra administrator), the cloud layer binds it to this subject.
 */
export const POSTGRES_ROLES_SERVICE_ACCOUNT: ServiceAccountRef = appServiceAccount("postgres-roles");
