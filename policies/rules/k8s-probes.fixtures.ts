import { type RuleFixtures, mut, c0, D, dep } from "../test/builders.ts";

export const fixtures: RuleFixtures = {
  good: [{ name: "both probes", resources: [dep("router", D)] }],
  bad: [
    {
      name: "no readiness probe",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete c0(d).readinessProbe),
        ),
      ],
    },
    {
      name: "no liveness probe",
      resources: [
        dep(
          "router",
          mut(D, (d) => delete c0(d).livenessProbe),
        ),
      ],
    },
  ],
};
