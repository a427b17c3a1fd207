import { type RuleFixtures, c0, pod, variant, D, dep } from "../test/builders.ts";
import { res } from "../test/fixtures.ts";

const cronJob = (f: (spec: any) => void) => {
  const spec = structuredClone(pod(D));
  f(spec);
  return res("kubernetes:batch/v1:CronJob", "report", {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "report", namespace: "llmops", labels: D.metadata.labels },
    spec: {
      schedule: "0 3 * * *",
      jobTemplate: {
        spec: {
          template: {
            metadata: {
              annotations: { [`container.apparmor.security.beta.kubernetes.io/router`]: "unconfined" },
            },
            spec,
          },
        },
      },
    },
  });
};

export const fixtures: RuleFixtures = {
  good: [
    { name: "restricted pod", resources: [dep("router", D)] },
    {
      name: "safe sysctl, container_t SELinux type, RuntimeDefault AppArmor, PVC and ephemeral volumes",
      resources: [
        variant((d) => {
          pod(d).securityContext.sysctls = [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }];
          pod(d).securityContext.seLinuxOptions = { type: "container_t", level: "s0:c123,c456" };
          pod(d).securityContext.appArmorProfile = { type: "RuntimeDefault" };
          c0(d).securityContext.appArmorProfile = { type: "Localhost", localhostProfile: "llmops-router" };
          c0(d).securityContext.procMount = "Default";
          pod(d).volumes.push(
            { name: "data", persistentVolumeClaim: { claimName: "data" } },
            {
              name: "scratch",
              ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"] } } },
            },
          );
          d.spec.template.metadata.annotations = {
            "container.apparmor.security.beta.kubernetes.io/router": "runtime/default",
          };
        }),
      ],
    },
  ],
  bad: [
    {
      name: "procMount Unmasked",
      resources: [variant((d) => (c0(d).securityContext.procMount = "Unmasked"))],
    },
    {
      name: "unsafe sysctl",
      resources: [
        variant((d) => (pod(d).securityContext.sysctls = [{ name: "kernel.msgmax", value: "65536" }])),
      ],
    },
    {
      name: "SELinux type override",
      resources: [variant((d) => (c0(d).securityContext.seLinuxOptions = { type: "spc_t" }))],
    },
    {
      name: "SELinux user set on the pod",
      resources: [variant((d) => (pod(d).securityContext.seLinuxOptions = { user: "system_u" }))],
    },
    {
      name: "AppArmor Unconfined field",
      resources: [variant((d) => (c0(d).securityContext.appArmorProfile = { type: "Unconfined" }))],
    },
    {
      name: "AppArmor unconfined annotation on the CronJob's pod template",
      resources: [cronJob(() => {})],
    },
    {
      name: "Windows hostProcess",
      resources: [
        variant((d) => (pod(d).securityContext.windowsOptions = { hostProcess: true, runAsUserName: "x" })),
      ],
    },
    {
      name: "NFS volume",
      resources: [
        variant((d) => pod(d).volumes.push({ name: "share", nfs: { server: "10.0.0.2", path: "/x" } })),
      ],
    },
    {
      name: "runAsGroup 0",
      resources: [variant((d) => (c0(d).securityContext.runAsGroup = 0))],
    },
    {
      name: "supplemental group 0",
      resources: [variant((d) => (pod(d).securityContext.supplementalGroups = [0]))],
    },
  ],
};
