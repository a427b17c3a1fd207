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

const SECCOMP_OK = ["RuntimeDefault", "Localhost"];

/** The container-level value wins over the pod-level one, as in the kubelet. */
export function securityFindings(pod: Record<string, any> | undefined, c: Record<string, any>): string[] {
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
  const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
  if (!SECCOMP_OK.includes(seccomp)) f.push("seccompProfile.type is not RuntimeDefault/Localhost");
  return f;
}

const OK_EXPR =
  "(has(c.securityContext) && has(c.securityContext.runAsNonRoot) ? c.securityContext.runAsNonRoot : " +
  "(has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsNonRoot) && " +
  "variables.podSpec.securityContext.runAsNonRoot)) == true && " +
  "(has(c.securityContext) && has(c.securityContext.runAsUser) ? c.securityContext.runAsUser != 0 : " +
  "!(has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsUser) && " +
  "variables.podSpec.securityContext.runAsUser == 0)) && " +
  "has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem) && c.securityContext.readOnlyRootFilesystem == true && " +
  "has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false && " +
  "has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop && " +
  "(has(c.securityContext.seccompProfile) ? c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost'] : " +
  "(has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.seccompProfile) && " +
  "variables.podSpec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']))";

export const k8sSecurityContext = resourceRule({
  id: "k8s-security-context",
  description:
    "Containers run as non-root with a read-only root filesystem, all capabilities dropped, no privilege " +
    "escalation and the RuntimeDefault seccomp profile (Pod Security 'restricted').",
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
    "capabilities: {drop: [ALL]}}; mount an emptyDir for any writable path (e.g. /tmp).",
  types: WORKLOAD_TYPES,
  check(props, _o, args) {
    const pod = podSpecOf(args.type, props);
    const out: string[] = [];
    for (const { c, label } of containersOf(pod)) {
      const f = securityFindings(pod, c);
      if (f.length) out.push(`${label}: ${f.join("; ")}.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsSecurityContext",
    match: WORKLOAD_MATCH,
    parameters: {},
    params: () => ({}),
    variables: [CEL_POD_SPEC, CEL_CONTAINERS, CEL_ALL_CONTAINERS],
    validations: [
      {
        expression: `variables.allContainers.all(c, ${OK_EXPR})`,
        messageExpression:
          `'containers not meeting the restricted security context (non-root, read-only root fs, drop ALL, ` +
          `no privilege escalation, seccomp RuntimeDefault): ' + variables.allContainers.filter(c, !(${OK_EXPR}))` +
          ".map(c, c.name).join(', ')",
      },
    ],
  },
});
