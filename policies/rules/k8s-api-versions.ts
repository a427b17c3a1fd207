import { isKubernetesObject, POLICED_KINDS, typeParts } from "./k8s.ts";
import { resourceRule } from "./types.ts";

/** Where the policed kinds were served before they moved to their own groups (removed in Kubernetes 1.16-1.22). */
const LEGACY_GROUP = "extensions";

export const k8sApiVersions = resourceRule({
  id: "k8s-api-versions",
  description:
    "Objects of a kind the pack polices use an API version its rules read, so none is skipped unseen: an " +
    "unrecognised version (e.g. apps/v1beta2 Deployments, autoscaling/v2beta1 HPAs, extensions/v1beta1 " +
    "Ingresses) is reported, and a recognised one the API server no longer serves (policy/v1beta1 PDBs, " +
    "autoscaling/v2beta2 HPAs) is evaluated and reported as removed. CrossGuard-only: at admission the API " +
    "server only accepts versions it serves and Gatekeeper matches by group and kind.",
  severity: "high",
  category: "security",
  checklist: [
    { seed: "core", item: 'Pod Security Standards: "Automatic enforcement via admission controller"' },
    { seed: "sentinel", item: 'Security: "Enable Pod Security Standards"' },
  ],
  remediation:
    "Declare the object with the served API version the message names (e.g. policy/v1 PodDisruptionBudget, " +
    "autoscaling/v2 HorizontalPodAutoscaler, apps/v1 Deployment, networking.k8s.io/v1 Ingress).",
  types: isKubernetesObject,
  check(_props, _o, args) {
    const p = typeParts(args.type);
    if (!p) return [];
    const own = POLICED_KINDS[`${p.group}/${p.kind}`];
    const moved =
      p.group === LEGACY_GROUP ? Object.keys(POLICED_KINDS).find((k) => k.endsWith(`/${p.kind}`)) : undefined;
    const key = own ? `${p.group}/${p.kind}` : moved;
    if (!key) return [];
    const entry = POLICED_KINDS[key]!;
    const served = `${key.split("/")[0] === "core" ? "" : key.split("/")[0] + "/"}${entry.versions[0]}`;
    if (own && entry.versions.includes(p.version)) {
      const removedIn = entry.removed?.[p.version];
      return removedIn
        ? [
            `${p.kind} ${p.group}/${p.version} is no longer served from Kubernetes ${removedIn}; use ${served}.`,
          ]
        : [];
    }
    return [
      `${p.kind} in ${p.group === "core" ? "" : p.group + "/"}${p.version} is not a version the policy pack ` +
        `evaluates (its rules skip it); use ${served}.`,
    ];
  },
});
