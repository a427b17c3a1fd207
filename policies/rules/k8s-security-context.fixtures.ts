import { type RuleFixtures, mut, c0, pod, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "restricted", resources: [dep("router", D)] },
    {
      name: "container-level seccomp",
      resources: [
        dep(
          "router",
          mut(D, (d) => {
            delete pod(d).securityContext.seccompProfile;
            c0(d).securityContext.seccompProfile = { type: "RuntimeDefault" };
          }),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "runs as root",
      resources: [
        dep(
          "router",
          mut(D, (d) => {
            pod(d).securityContext.runAsNonRoot = false;
          }),
        ),
      ],
    },
    {
      name: "runAsUser 0",
      resources: [
        dep(
          "router",
          mut(D, (d) => {
            c0(d).securityContext.runAsUser = 0;
          }),
        ),
      ],
    },
    {
      name: "writable root fs",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete c0(d).securityContext.readOnlyRootFilesystem),
        ),
      ],
    },
    {
      name: "capabilities kept",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).securityContext.capabilities = { add: ["NET_ADMIN"] })),
        ),
      ],
    },
    {
      name: "privilege escalation",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).securityContext.allowPrivilegeEscalation = true)),
        ),
      ],
    },
    {
      name: "no seccomp",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete pod(d).securityContext.seccompProfile),
        ),
      ],
    },
  ],
};
