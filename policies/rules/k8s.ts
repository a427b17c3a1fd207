/** Shared helpers for rules over Kubernetes objects (inputs = the manifest as given to Pulumi). */

export const WORKLOAD_KINDS: Record<string, "template" | "pod" | "cronjob"> = {
  "kubernetes:apps/v1:Deployment": "template",
  "kubernetes:apps/v1:StatefulSet": "template",
  "kubernetes:apps/v1:DaemonSet": "template",
  "kubernetes:apps/v1:ReplicaSet": "template",
  "kubernetes:batch/v1:Job": "template",
  "kubernetes:batch/v1:CronJob": "cronjob",
  "kubernetes:core/v1:Pod": "pod",
};
export const WORKLOAD_TYPES = Object.keys(WORKLOAD_KINDS);
/** Long-running workloads (probes, replicas, spreading make sense). */
export const SERVING_TYPES = [
  "kubernetes:apps/v1:Deployment",
  "kubernetes:apps/v1:StatefulSet",
  "kubernetes:apps/v1:DaemonSet",
];
export const SCALABLE_TYPES = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];

/**
 * Gatekeeper match entries for workloads: the controllers the stack declares, as CrossGuard sees them.
 * Pods and ReplicaSets are left out on purpose: admission sees Pods after Istio's sidecar injection (its
 * proxy image comes from Istio's registry), and the namespace's Pod Security Admission level already
 * polices bare Pods for security context and host access.
 */
export const WORKLOAD_MATCH = [
  { apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet", "DaemonSet"] },
  { apiGroups: ["batch"], kinds: ["Job", "CronJob"] },
];

/**
 * Gatekeeper match for the label rule: kinds the stack creates itself. Objects Kubernetes or operators
 * create on their own in every namespace (the default ServiceAccount, kube-root-ca.crt and istio-ca-root-cert
 * ConfigMaps, Events, EndpointSlices, Pods, ReplicaSets, Jobs of CronJobs, ESO-written Secrets) carry no
 * such labels and must not be refused.
 */
export const LABELLED_MATCH = [
  { apiGroups: [""], kinds: ["Namespace", "Service"] },
  { apiGroups: ["apps"], kinds: ["Deployment", "StatefulSet", "DaemonSet"] },
  { apiGroups: ["batch"], kinds: ["CronJob"] },
  { apiGroups: ["policy"], kinds: ["PodDisruptionBudget"] },
  { apiGroups: ["autoscaling"], kinds: ["HorizontalPodAutoscaler"] },
  { apiGroups: ["networking.k8s.io"], kinds: ["NetworkPolicy", "Ingress"] },
  { apiGroups: ["gateway.networking.k8s.io"], kinds: ["Gateway", "HTTPRoute"] },
  { apiGroups: ["monitoring.coreos.com"], kinds: ["ServiceMonitor", "PodMonitor", "PrometheusRule"] },
  { apiGroups: ["keda.sh"], kinds: ["ScaledObject"] },
  { apiGroups: ["external-secrets.io"], kinds: ["ExternalSecret"] },
];

/** CEL: the pod spec of any workload kind (bound as variables.podSpec). */
export const CEL_POD_SPEC = {
  name: "podSpec",
  expression:
    "variables.anyObject.kind == 'Pod' ? variables.anyObject.spec : " +
    "(variables.anyObject.kind == 'CronJob' ? variables.anyObject.spec.jobTemplate.spec.template.spec : " +
    "variables.anyObject.spec.template.spec)",
};
export const CEL_CONTAINERS = {
  name: "containers",
  expression: "has(variables.podSpec.containers) ? variables.podSpec.containers : []",
};
export const CEL_ALL_CONTAINERS = {
  name: "allContainers",
  expression:
    "variables.containers + (has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + " +
    "(has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])",
};

export function podSpecOf(type: string, props: Record<string, any>): Record<string, any> | undefined {
  switch (WORKLOAD_KINDS[type]) {
    case "pod":
      return props?.spec;
    case "cronjob":
      return props?.spec?.jobTemplate?.spec?.template?.spec;
    case "template":
      return props?.spec?.template?.spec;
    default:
      return undefined;
  }
}

/** The pod template's metadata (annotations such as AppArmor's live there). */
export function podMetaOf(type: string, props: Record<string, any>): Record<string, any> {
  switch (WORKLOAD_KINDS[type]) {
    case "pod":
      return props?.metadata ?? {};
    case "cronjob":
      return props?.spec?.jobTemplate?.spec?.template?.metadata ?? {};
    case "template":
      return props?.spec?.template?.metadata ?? {};
    default:
      return {};
  }
}
export const CEL_POD_META = {
  name: "podMeta",
  expression:
    "variables.anyObject.kind == 'Pod' ? variables.anyObject.metadata : " +
    "(variables.anyObject.kind == 'CronJob' ? (has(variables.anyObject.spec.jobTemplate.spec.template.metadata) ? " +
    "variables.anyObject.spec.jobTemplate.spec.template.metadata : {}) : " +
    "(has(variables.anyObject.spec.template.metadata) ? variables.anyObject.spec.template.metadata : {}))",
};

export interface ContainerRef {
  c: Record<string, any>;
  init: boolean;
  label: string;
}

export function containersOf(spec: Record<string, any> | undefined, includeInit = true): ContainerRef[] {
  if (!spec) return [];
  const out: ContainerRef[] = [];
  for (const c of asArray(spec.containers)) out.push({ c, init: false, label: `container "${c?.name}"` });
  if (includeInit) {
    for (const c of asArray(spec.initContainers))
      out.push({ c, init: true, label: `init container "${c?.name}"` });
    for (const c of asArray(spec.ephemeralContainers))
      out.push({ c, init: true, label: `ephemeral container "${c?.name}"` });
  }
  return out;
}

export function asArray<T = any>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function labelsOf(props: Record<string, any>): Record<string, string> {
  const l = props?.metadata?.labels;
  return l && typeof l === "object" ? l : {};
}

/**
 * The namespace an object lands in: its own, else the Kubernetes provider's `namespace` (the provider's
 * default for objects without one), else "default", as the provider does.
 */
export function nsOf(props: Record<string, any>, provider?: { props?: Record<string, any> }): string {
  return props?.metadata?.namespace ?? provider?.props?.namespace ?? "default";
}

export function nameOf(props: Record<string, any>, fallback: string): string {
  return props?.metadata?.name ?? fallback;
}

/** True when every matchLabels pair of a selector is among the labels (matchExpressions ignored). */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  const ml = selector?.matchLabels ?? {};
  const keys = Object.keys(ml);
  if (keys.length === 0 && !asArray(selector?.matchExpressions).length) return true;
  if (!keys.every((k) => labels[k] === ml[k])) return false;
  for (const e of asArray(selector?.matchExpressions)) {
    const v = labels[e.key];
    if (e.operator === "In" && !asArray(e.values).includes(v)) return false;
    if (e.operator === "NotIn" && v !== undefined && asArray(e.values).includes(v)) return false;
    if (e.operator === "Exists" && v === undefined) return false;
    if (e.operator === "DoesNotExist" && v !== undefined) return false;
    // The API server refuses any other operator; an unknown one selects nothing.
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(e.operator)) return false;
  }
  return true;
}

/** Services select pods by a plain map. */
export function mapSelects(selector: Record<string, string> | undefined, labels: Record<string, string>) {
  const keys = Object.keys(selector ?? {});
  return keys.length > 0 && keys.every((k) => labels[k] === selector![k]);
}

export function isKubernetesObject(type: string): boolean {
  return (
    type.startsWith("kubernetes:") &&
    !type.startsWith("kubernetes:helm.sh/") &&
    !type.startsWith("kubernetes:yaml") &&
    !type.startsWith("kubernetes:kustomize") &&
    !type.endsWith("List") &&
    !type.endsWith("Patch")
  );
}

export function kindOfType(type: string): string {
  return type.split(":")[2] ?? type;
}

/**
 * The kinds the pack polices ("group/Kind", core group = "core") and the API versions whose schema its rules
 * read. A version in `removed` is still evaluated (same fields as the served one) and k8s-api-versions reports
 * it; any other version of a policed kind is unrecognised, and k8s-api-versions reports that instead of the
 * rules skipping it silently.
 */
export const POLICED_KINDS: Record<string, { versions: string[]; removed?: Record<string, string> }> = {
  "core/Pod": { versions: ["v1"] },
  "core/Service": { versions: ["v1"] },
  "core/ConfigMap": { versions: ["v1"] },
  "core/Namespace": { versions: ["v1"] },
  "core/ServiceAccount": { versions: ["v1"] },
  "apps/Deployment": { versions: ["v1"] },
  "apps/StatefulSet": { versions: ["v1"] },
  "apps/DaemonSet": { versions: ["v1"] },
  "apps/ReplicaSet": { versions: ["v1"] },
  "batch/Job": { versions: ["v1"] },
  "batch/CronJob": { versions: ["v1"] },
  "policy/PodDisruptionBudget": { versions: ["v1", "v1beta1"], removed: { v1beta1: "1.25" } },
  "autoscaling/HorizontalPodAutoscaler": { versions: ["v2", "v1", "v2beta2"], removed: { v2beta2: "1.26" } },
  "networking.k8s.io/NetworkPolicy": { versions: ["v1"] },
  "networking.k8s.io/Ingress": { versions: ["v1"] },
  "gateway.networking.k8s.io/Gateway": { versions: ["v1", "v1beta1"] },
  "gateway.networking.k8s.io/HTTPRoute": { versions: ["v1", "v1beta1"] },
  "rbac.authorization.k8s.io/Role": { versions: ["v1"] },
  "rbac.authorization.k8s.io/ClusterRole": { versions: ["v1"] },
  "rbac.authorization.k8s.io/RoleBinding": { versions: ["v1"] },
  "rbac.authorization.k8s.io/ClusterRoleBinding": { versions: ["v1"] },
  "keda.sh/ScaledObject": { versions: ["v1alpha1"] },
  "monitoring.coreos.com/ServiceMonitor": { versions: ["v1"] },
  "monitoring.coreos.com/PrometheusRule": { versions: ["v1"] },
};

/** "kubernetes:policy/v1beta1:PodDisruptionBudget" -> group policy, version v1beta1, kind PodDisruptionBudget. */
export function typeParts(type: string): { group: string; version: string; kind: string } | undefined {
  const m = /^kubernetes:(?:([^/:]+)\/)?([^/:]+):([^:]+)$/.exec(type);
  if (!m) return undefined;
  return { group: m[1] ?? "core", version: m[2]!, kind: m[3]! };
}

/** The Pulumi type tokens of every recognised version of a policed kind. */
export function typesOf(key: string): string[] {
  const k = POLICED_KINDS[key];
  if (!k) throw new Error(`not a policed kind: ${key}`);
  const [group, kind] = key.split("/");
  return k.versions.map((v) => `kubernetes:${group}/${v}:${kind}`);
}

export const PDB_TYPES = typesOf("policy/PodDisruptionBudget");
export const HPA_TYPES = typesOf("autoscaling/HorizontalPodAutoscaler");

/** Cluster-scoped kinds the stack may declare ("group/Kind"; every kind of the constraint group). */
const CLUSTER_SCOPED = new Set([
  "core/Namespace",
  "core/PersistentVolume",
  "core/Node",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "storage.k8s.io/StorageClass",
  "storage.k8s.io/CSIDriver",
  "snapshot.storage.k8s.io/VolumeSnapshotClass",
  "cert-manager.io/ClusterIssuer",
  "external-secrets.io/ClusterSecretStore",
  "external-secrets.io/ClusterExternalSecret",
  "apiextensions.k8s.io/CustomResourceDefinition",
  "scheduling.k8s.io/PriorityClass",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "templates.gatekeeper.sh/ConstraintTemplate",
  "networking.k8s.io/IngressClass",
  "gateway.networking.k8s.io/GatewayClass",
  "cilium.io/CiliumClusterwideNetworkPolicy",
]);

/** Kubernetes objects that live in a namespace (everything but the cluster-scoped kinds above). */
export function isNamespaced(type: string): boolean {
  const p = typeParts(type);
  if (!p || !isKubernetesObject(type)) return false;
  return p.group !== "constraints.gatekeeper.sh" && !CLUSTER_SCOPED.has(`${p.group}/${p.kind}`);
}

/**
 * CEL: does the label selector bound as `sel` select the labels bound as `lbls` (matchLabels and
 * matchExpressions, as selectorMatches). An empty selector selects everything.
 */
export function celSelects(sel: string, lbls: string): string {
  return (
    `(!has(${sel}.matchLabels) || ${sel}.matchLabels.all(k, k in ${lbls} && ${lbls}[k] == ${sel}.matchLabels[k])) && ` +
    `(!has(${sel}.matchExpressions) || ${sel}.matchExpressions.all(e, ` +
    `e.operator == 'In' ? (e.key in ${lbls} && ${lbls}[e.key] in e.values) : ` +
    `e.operator == 'NotIn' ? !(e.key in ${lbls} && ${lbls}[e.key] in e.values) : ` +
    `e.operator == 'Exists' ? e.key in ${lbls} : ` +
    `e.operator == 'DoesNotExist' ? !(e.key in ${lbls}) : false))`
  );
}

export const SCALED_OBJECT_TYPES = typesOf("keda.sh/ScaledObject");
export const SCALER_TYPES = [...HPA_TYPES, ...SCALED_OBJECT_TYPES];

/** What an HPA or ScaledObject scales, and between which bounds (the API defaults when unset). */
export function scalerOf(
  type: string,
  props: Record<string, any>,
  provider?: { props?: Record<string, any> },
) {
  const s = props?.spec ?? {};
  const ref = s.scaleTargetRef ?? {};
  const keda = SCALED_OBJECT_TYPES.includes(type);
  return {
    ns: nsOf(props, provider),
    // KEDA defaults the target kind to Deployment; an HPA must name it.
    kind: (ref.kind ?? (keda ? "Deployment" : undefined)) as string | undefined,
    name: ref.name as string | undefined,
    min: (keda ? (s.minReplicaCount ?? 0) : (s.minReplicas ?? 1)) as number,
    max: (keda ? (s.maxReplicaCount ?? 100) : s.maxReplicas) as number | undefined,
  };
}
