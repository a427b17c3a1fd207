import {
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_SPEC,
  containersOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

/** The only capability Pod Security 'restricted' lets a container add back after dropping ALL. */
export const ADDABLE_CAPABILITIES = ["NET_BIND_SERVICE"];

export interface SecurityContextOptions extends Record<string, unknown> {
  /** Localhost seccomp profiles (paths relative to the kubelet's seccomp root) reviewed for use. */
  allowedLocalhostProfiles: string[];
}

/** The container-level value wins over the pod-level one, as in the kubelet. */
export function securityFindings(
  pod: Record<string, any> | undefined,
  c: Record<string, any>,
  o: SecurityContextOptions,
): string[] {
  const psc = pod?.securityContext ?? {};
  const sc = c?.securityContext ?? {};
  const f: string[] = [];
  const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  const uid = sc.runAsUser ?? psc.runAsUser;
  if (nonRoot !== true) f.push("runAsNonRoot is not true");
  if (uid === 0) f.push("runAsUser is 0");
  if (sc.readOnlyRootFilesystem !== true) f.push("readOnlyRootFilesystem is not true");
  if (sc.allowPrivilegeEscalation !== false) f.push("allowPrivilegeEscalation is not false");
  const drop: unknown[] = Array.isArray(sc.capabilities?.drop) ? sc.capabilities.drop : [];
  if (!drop.includes("ALL")) f.push("capabilities.drop does not include ALL");
  const add: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : [];
  const extra = add.filter((a) => !ADDABLE_CAPABILITIES.includes(a as string));
  if (extra.length)
    f.push(`capabilities.add has ${extra.join(", ")} (only ${ADDABLE_CAPABILITIES} may be added)`);
  const prof = sc.seccompProfile ?? psc.seccompProfile;
  if (prof?.type === "Localhost") {
    if (!o.allowedLocalhostProfiles.includes(prof.localhostProfile))
      f.push(`seccomp Localhost profile "${prof.localhostProfile}" is not in allowedLocalhostProfiles`);
  } else if (prof?.type !== "RuntimeDefault") f.push("seccompProfile.type is not RuntimeDefault");
  return f;
}

const SC = "c.securityContext";
const PSC = "variables.podSpec.securityContext";
const seccompOk = (p: string) =>
  `(has(${p}.type) && (${p}.type == 'RuntimeDefault' || (${p}.type == 'Localhost' && ` +
  `has(${p}.localhostProfile) && ${p}.localhostProfile in variables.params.allowedLocalhostProfiles)))`;

const OK_EXPR =
  `(has(c.securityContext) && has(${SC}.runAsNonRoot) ? ${SC}.runAsNonRoot : ` +
  `(has(${PSC}) && has(${PSC}.runAsNonRoot) && ${PSC}.runAsNonRoot)) == true && ` +
  `(has(c.securityContext) && has(${SC}.runAsUser) ? ${SC}.runAsUser != 0 : ` +
  `!(has(${PSC}) && has(${PSC}.runAsUser) && ${PSC}.runAsUser == 0)) && ` +
  `has(c.securityContext) && has(${SC}.readOnlyRootFilesystem) && ${SC}.readOnlyRootFilesystem == true && ` +
  `has(${SC}.allowPrivilegeEscalation) && ${SC}.allowPrivilegeEscalation == false && ` +
  `has(${SC}.capabilities) && has(${SC}.capabilities.drop) && 'ALL' in ${SC}.capabilities.drop && ` +
  `(!has(${SC}.capabilities.add) || ${SC}.capabilities.add.all(a, a in variables.addable)) && ` +
  `(has(${SC}.seccompProfile) ? ${seccompOk(`${SC}.seccompProfile`)} : ` +
  `(has(${PSC}) && has(${PSC}.seccompProfile) && ${seccompOk(`${PSC}.seccompProfile`)}))`;

export const k8sSecurityContext = resourceRule<SecurityContextOptions>({
  id: "k8s-security-context",
  description:
    "Containers run as non-root with a read-only root filesystem, all capabilities dropped (only " +
    "NET_BIND_SERVICE may be added back), no privilege escalation and the RuntimeDefault seccomp profile or a " +
    "reviewed Localhost one (Pod Security 'restricted'). Stricter than 'restricted' by design: it also requires " +
    "a read-only root filesystem (as Polaris and kube-score do) and an allow-list for Localhost profiles, " +
    "which Pod Security accepts with any path.",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Run containers as non-root user"' },
    { seed: "sentinel", item: 'Security: "Use read-only root filesystem"' },
    { seed: "core", item: 'Security > Pod Security: "Drop all capabilities", "Read-only root filesystem"' },
  ],
  remediation:
    "Set pod securityContext {runAsNonRoot: true, runAsUser: <non-zero>, seccompProfile: {type: RuntimeDefault}} " +
    "and per container securityContext {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, " +
    "capabilities: {drop: [ALL]}} (add back only NET_BIND_SERVICE); mount an emptyDir for any writable path " +
    "(e.g. /tmp). A Localhost seccomp profile must be listed in allowedLocalhostProfiles after review.",
  types: WORKLOAD_TYPES,
  options: { allowedLocalhostProfiles: [] },
  configSchema: { allowedLocalhostProfiles: { type: "array", items: { type: "string" } } },
  check(props, o, args) {
    const pod = podSpecOf(args.type, props);
    const out: string[] = [];
    for (const { c, label } of containersOf(pod)) {
      const f = securityFindings(pod, c, o);
      if (f.length) out.push(`${label}: ${f.join("; ")}.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsSecurityContext",
    match: WORKLOAD_MATCH,
    parameters: { allowedLocalhostProfiles: { type: "array", items: { type: "string" } } },
    params: (c) => ({ allowedLocalhostProfiles: c.allowedLocalhostProfiles }),
    variables: [
      CEL_POD_SPEC,
      CEL_CONTAINERS,
      CEL_ALL_CONTAINERS,
      { name: "addable", expression: JSON.stringify(ADDABLE_CAPABILITIES).replace(/"/g, "'") },
    ],
    validations: [
      {
        expression: `variables.allContainers.all(c, ${OK_EXPR})`,
        messageExpression:
          `'containers not meeting the restricted security context (non-root, read-only root fs, drop ALL and add ` +
          `at most NET_BIND_SERVICE, no privilege escalation, seccomp RuntimeDefault or an allowed Localhost ` +
          `profile): ' + variables.allContainers.filter(c, !(${OK_EXPR})).map(c, c.name).join(', ')`,
      },
    ],
  },
});
