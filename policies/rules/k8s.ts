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

export function nsOf(props: Record<string, any>): string {
  return props?.metadata?.namespace ?? "default";
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
