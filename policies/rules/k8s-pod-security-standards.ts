import {
  asArray,
  CEL_ALL_CONTAINERS,
  CEL_CONTAINERS,
  CEL_POD_META,
  CEL_POD_SPEC,
  containersOf,
  podMetaOf,
  podSpecOf,
  WORKLOAD_MATCH,
  WORKLOAD_TYPES,
} from "./k8s.ts";
import { resourceRule } from "./types.ts";

/** Pod Security Standards (Kubernetes 1.29+): the values each control allows. */
export const PSS = {
  /** Baseline "Sysctls": namespaced and isolated from other pods on the node. */
  safeSysctls: [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
  ],
  /** Baseline "SELinux": seLinuxOptions.type may only be one of these (user and role unset). */
  seLinuxTypes: ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"],
  /** Restricted "Volume Types" (besides name). */
  volumeTypes: [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
  ],
  appArmorTypes: ["RuntimeDefault", "Localhost"],
} as const;

const APPARMOR_ANN = "container.apparmor.security.beta.kubernetes.io/";
const has = (list: readonly string[], v: unknown) => list.includes(v as string);
const celList = (l: readonly string[]) => JSON.stringify(l).replace(/"/g, "'");

function seLinuxFindings(where: string, o: Record<string, any> | undefined): string[] {
  if (!o) return [];
  const f: string[] = [];
  if (o.type !== undefined && !has(PSS.seLinuxTypes, o.type)) f.push(`${where} sets SELinux type ${o.type}`);
  if (o.user || o.role) f.push(`${where} sets an SELinux user or role`);
  return f;
}

export const k8sPodSecurityStandards = resourceRule({
  id: "k8s-pod-security-standards",
  description:
    "Pods meet the Pod Security Standards controls the other rules do not cover: no Windows hostProcess, " +
    "default procMount, only safe sysctls, no SELinux type/user/role overrides, no AppArmor Unconfined, only " +
    "the restricted volume types, and no root (GID 0) groups. The namespace label enforces the same at " +
    "admission; this catches it at preview and in Gatekeeper (where the label may be baseline). Stricter than " +
    "'restricted' by design on groups (its optional non-root-groups control is required here).",
  severity: "critical",
  category: "security",
  checklist: [
    { seed: "sentinel", item: 'Security: "Enable Pod Security Standards"' },
    {
      seed: "core",
      item: 'Pod Security Standards: "Restricted policy for application workloads"',
    },
    { seed: "core", item: 'Security > Pod Security: "Enforce restricted PSS for applications"' },
  ],
  remediation:
    "Remove windowsOptions.hostProcess, procMount: Unmasked, sysctls outside the safe set, seLinuxOptions " +
    "user/role and types other than container_t/container_init_t/container_kvm_t/container_engine_t, AppArmor " +
    "Unconfined (field or annotation); use configMap, secret, projected, downwardAPI, emptyDir, ephemeral, csi or " +
    "persistentVolumeClaim volumes (a PersistentVolume for network storage such as NFS); run with a non-zero " +
    "runAsGroup/fsGroup and no supplemental group 0.",
  types: WORKLOAD_TYPES,
  check(props, _o, args) {
    const pod = podSpecOf(args.type, props) ?? {};
    const psc = pod.securityContext ?? {};
    const out: string[] = [];
    if (psc.windowsOptions?.hostProcess === true) out.push("pod sets windowsOptions.hostProcess.");
    for (const s of asArray(psc.sysctls))
      if (!has(PSS.safeSysctls, s?.name)) out.push(`pod sets unsafe sysctl ${s?.name}.`);
    out.push(...seLinuxFindings("pod", psc.seLinuxOptions).map((m) => `${m}.`));
    if (psc.appArmorProfile && !has(PSS.appArmorTypes, psc.appArmorProfile.type))
      out.push(`pod AppArmor profile is ${psc.appArmorProfile.type}.`);
    if (psc.runAsGroup === 0 || psc.fsGroup === 0 || asArray(psc.supplementalGroups).includes(0))
      out.push("pod runs with group 0 (runAsGroup, fsGroup or supplementalGroups).");
    for (const v of asArray(pod.volumes)) {
      const kinds = Object.keys(v ?? {}).filter((k) => k !== "name" && !has(PSS.volumeTypes, k));
      if (kinds.length) out.push(`volume "${v?.name}" is of type ${kinds.join(", ")}.`);
    }
    for (const [k, v] of Object.entries(podMetaOf(args.type, props).annotations ?? {}))
      if (k.startsWith(APPARMOR_ANN) && v !== "runtime/default" && !String(v).startsWith("localhost/"))
        out.push(`annotation ${k} is ${v}.`);
    for (const { c, label } of containersOf(pod)) {
      const sc = c?.securityContext ?? {};
      if (sc.windowsOptions?.hostProcess === true) out.push(`${label} sets windowsOptions.hostProcess.`);
      if (sc.procMount !== undefined && sc.procMount !== "Default")
        out.push(`${label} sets procMount ${sc.procMount}.`);
      out.push(...seLinuxFindings(label, sc.seLinuxOptions).map((m) => `${m}.`));
      if (sc.appArmorProfile && !has(PSS.appArmorTypes, sc.appArmorProfile.type))
        out.push(`${label} AppArmor profile is ${sc.appArmorProfile.type}.`);
      if (sc.runAsGroup === 0) out.push(`${label} runs with runAsGroup 0.`);
    }
    return out;
  },
  gatekeeper: {
    kind: "LlmopsPodSecurityStandards",
    match: WORKLOAD_MATCH,
    parameters: {},
    params: () => ({}),
    variables: [
      CEL_POD_SPEC,
      CEL_POD_META,
      CEL_CONTAINERS,
      CEL_ALL_CONTAINERS,
      {
        name: "psc",
        expression: "has(variables.podSpec.securityContext) ? variables.podSpec.securityContext : {}",
      },
      {
        name: "scs",
        expression: "variables.allContainers.filter(c, has(c.securityContext)).map(c, c.securityContext)",
      },
      {
        name: "seLinuxOk",
        // One check for the pod's and every container's seLinuxOptions.
        expression:
          `([variables.psc] + variables.scs).all(s, !has(s.seLinuxOptions) || ((!has(s.seLinuxOptions.type) || ` +
          `s.seLinuxOptions.type in ${celList(PSS.seLinuxTypes)}) && (!has(s.seLinuxOptions.user) || ` +
          `s.seLinuxOptions.user == '') && (!has(s.seLinuxOptions.role) || s.seLinuxOptions.role == '')))`,
      },
    ],
    validations: [
      {
        expression:
          "([variables.psc] + variables.scs).all(s, !(has(s.windowsOptions) && has(s.windowsOptions.hostProcess) && " +
          "s.windowsOptions.hostProcess))",
        message: "pod or container sets windowsOptions.hostProcess",
      },
      {
        expression: "variables.scs.all(s, !has(s.procMount) || s.procMount == 'Default')",
        message: "container sets a procMount other than Default",
      },
      {
        expression: `!has(variables.psc.sysctls) || variables.psc.sysctls.all(s, s.name in ${celList(PSS.safeSysctls)})`,
        message: "pod sets a sysctl outside the Pod Security safe set",
      },
      {
        expression: "variables.seLinuxOk",
        message: "pod or container overrides the SELinux type, user or role",
      },
      {
        expression:
          `([variables.psc] + variables.scs).all(s, !has(s.appArmorProfile) || ` +
          `(has(s.appArmorProfile.type) && s.appArmorProfile.type in ${celList(PSS.appArmorTypes)})) && ` +
          `(!has(variables.podMeta.annotations) || variables.podMeta.annotations.all(k, !k.startsWith('${APPARMOR_ANN}') || ` +
          `variables.podMeta.annotations[k] == 'runtime/default' || variables.podMeta.annotations[k].startsWith('localhost/')))`,
        message: "AppArmor profile is Unconfined (field or annotation)",
      },
      {
        expression: `!has(variables.podSpec.volumes) || variables.podSpec.volumes.all(v, v.all(k, k == 'name' || k in ${celList(PSS.volumeTypes)}))`,
        message: "pod uses a volume type outside the restricted set",
      },
      {
        expression:
          "!(has(variables.psc.runAsGroup) && variables.psc.runAsGroup == 0) && " +
          "!(has(variables.psc.fsGroup) && variables.psc.fsGroup == 0) && " +
          "!(has(variables.psc.supplementalGroups) && 0 in variables.psc.supplementalGroups) && " +
          "variables.scs.all(s, !(has(s.runAsGroup) && s.runAsGroup == 0))",
        message: "pod or container runs with group 0",
      },
    ],
  },
});
