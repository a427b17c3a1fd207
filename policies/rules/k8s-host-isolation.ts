import {
  asArray,
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_SPEC,
  containersOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

export const k8sHostIsolation = resourceRule({
  id: "k8s-host-isolation",
  description:
    "No privileged containers, host namespaces (network, PID, IPC), hostPath volumes or host ports. Stricter " +
    "than Pod Security baseline and Gatekeeper's k8spsphostnetworkingports by design: no hostPort is allowed, " +
    "not even from a known list.",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "core", item: 'Security > Pod Security: "No privileged containers"' },
    { seed: "sentinel", item: 'Security: "Enable Pod Security Standards"' },
  ],
  remediation:
    "Remove privileged: true, hostNetwork/hostPID/hostIPC, hostPath volumes and hostPort; use emptyDir, " +
    "projected or CSI volumes and a Service instead.",
  types: WORKLOAD_TYPES,
  check(props, _o, args) {
    const pod = podSpecOf(args.type, props) ?? {};
    const out: string[] = [];
    for (const k of ["hostNetwork", "hostPID", "hostIPC"])
      if (pod[k] === true) out.push(`pod sets ${k}: true.`);
    for (const v of asArray(pod.volumes)) if (v?.hostPath) out.push(`volume "${v.name}" is a hostPath.`);
    for (const { c, label } of containersOf(pod)) {
      if (c?.securityContext?.privileged === true) out.push(`${label} is privileged.`);
      if (asArray(c?.ports).some((p) => p?.hostPort)) out.push(`${label} binds a hostPort.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsHostIsolation",
    match: WORKLOAD_MATCH,
    parameters: {},
    params: () => ({}),
    variables: [CEL_POD_SPEC, CEL_CONTAINERS, CEL_ALL_CONTAINERS],
    validations: [
      {
        expression:
          "!(has(variables.podSpec.hostNetwork) && variables.podSpec.hostNetwork) && " +
          "!(has(variables.podSpec.hostPID) && variables.podSpec.hostPID) && " +
          "!(has(variables.podSpec.hostIPC) && variables.podSpec.hostIPC)",
        message: "pod uses host namespaces (hostNetwork/hostPID/hostIPC)",
      },
      {
        expression: "!has(variables.podSpec.volumes) || variables.podSpec.volumes.all(v, !has(v.hostPath))",
        message: "pod mounts a hostPath volume",
      },
      {
        expression:
          "variables.allContainers.all(c, !(has(c.securityContext) && has(c.securityContext.privileged) && " +
          "c.securityContext.privileged))",
        message: "privileged container",
      },
      {
        expression:
          "variables.allContainers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))",
        message: "container binds a hostPort",
      },
    ],
  },
});
