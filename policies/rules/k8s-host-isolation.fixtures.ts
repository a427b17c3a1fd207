import { type RuleFixtures, mut, c0, pod, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "isolated", resources: [dep("router", D)] }],
  bad: [
    {
      name: "privileged",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).securityContext.privileged = true)),
        ),
      ],
    },
    {
      name: "hostNetwork",
      resources: [
        dep(
          "router",
          mut(D, (d) => (pod(d).hostNetwork = true)),
        ),
      ],
    },
    {
      name: "hostPID",
      resources: [
        dep(
          "router",
          mut(D, (d) => (pod(d).hostPID = true)),
        ),
      ],
    },
    {
      name: "hostPath",
      resources: [
        dep(
          "router",
          mut(D, (d) => pod(d).volumes.push({ name: "logs", hostPath: { path: "/var/log" } })),
        ),
      ],
    },
    {
      name: "hostPort",
      resources: [
        dep(
          "router",
          mut(D, (d) => (c0(d).ports[0].hostPort = 8080)),
        ),
      ],
    },
  ],
};
