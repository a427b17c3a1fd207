import { type RuleFixtures, clone, mut, c0, pod, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "requests and limits", resources: [dep("router", D)] }],
  bad: [
    {
      name: "no limits",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete c0(d).resources.limits),
        ),
      ],
    },
    {
      name: "init container without resources",
      resources: [
        dep(
          "router",
          mut(D, (d) => {
            pod(d).initContainers = [{ ...clone(c0(D)), name: "migrate", resources: undefined }];
            delete pod(d).initContainers[0].resources;
          }),
        ),
      ],
    },
  ],
};
