import { type RuleFixtures, mut, c0, pod, D, dep, variant } from "../test/builders.ts";

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
    {
      name: "adds back NET_BIND_SERVICE only",
      resources: [variant((d) => (c0(d).securityContext.capabilities.add = ["NET_BIND_SERVICE"]))],
    },
    {
      name: "Localhost seccomp profile on the allow-list",
      options: { allowedLocalhostProfiles: ["profiles/llmops-router.json"] },
      resources: [
        variant(
          (d) =>
            (pod(d).securityContext.seccompProfile = {
              type: "Localhost",
              localhostProfile: "profiles/llmops-router.json",
            }),
        ),
      ],
    },
  ],
  bad: [
    {
      name: "adds SYS_ADMIN after dropping ALL",
      resources: [variant((d) => (c0(d).securityContext.capabilities.add = ["SYS_ADMIN"]))],
    },
    {
      name: "adds NET_ADMIN beside NET_BIND_SERVICE",
      resources: [
        variant((d) => (c0(d).securityContext.capabilities.add = ["NET_BIND_SERVICE", "NET_ADMIN"])),
      ],
    },
    {
      name: "Localhost seccomp profile not on the allow-list",
      resources: [
        variant(
          (d) =>
            (pod(d).securityContext.seccompProfile = {
              type: "Localhost",
              localhostProfile: "anything.json",
            }),
        ),
      ],
    },
    {
      name: "container Localhost profile overrides an allowed pod profile",
      options: { allowedLocalhostProfiles: ["profiles/llmops-router.json"] },
      resources: [
        variant((d) => {
          pod(d).securityContext.seccompProfile = {
            type: "Localhost",
            localhostProfile: "profiles/llmops-router.json",
          };
          c0(d).securityContext.seccompProfile = {
            type: "Localhost",
            localhostProfile: "profiles/unconfined.json",
          };
        }),
      ],
    },
    {
      name: "seccomp Unconfined",
      resources: [variant((d) => (pod(d).securityContext.seccompProfile = { type: "Unconfined" }))],
    },
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
