import { type RuleFixtures, D, dep } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "deployment with hpa", resources: [dep("router", D), res(T.hpa, "router", F.hpa())] },
    {
      name: "deployment with scaledobject",
      resources: [dep("cost-api", F.deployment("cost-api")), res(T.so, "cost-api", F.scaledObject())],
    },
  ],
  bad: [
    { name: "deployment without scaler", resources: [dep("router", D), res(T.hpa, "x", F.hpa("other"))] },
  ],
};
