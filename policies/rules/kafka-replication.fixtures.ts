import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

export const fixtures: RuleFixtures = {
  good: [
    { name: "kafka rf 3 isr 2", resources: [res(T.kafka, "k", F.kafka())] },
    { name: "topic replicas 3", resources: [res(T.topic, "t", F.kafkaTopic())] },
  ],
  bad: [
    {
      name: "kafka isr 1",
      resources: [
        res(
          T.kafka,
          "k",
          mut(F.kafka(), (k) => (k.spec.kafka.config["min.insync.replicas"] = 1)),
        ),
      ],
    },
    {
      name: "topic replicas 1",
      resources: [
        res(
          T.topic,
          "t",
          mut(F.kafkaTopic(), (t) => (t.spec.replicas = 1)),
        ),
      ],
    },
    {
      name: "broker pool of 1",
      resources: [
        res(
          T.pool,
          "p",
          mut(F.kafkaNodePool(), (p) => (p.spec.replicas = 1)),
        ),
      ],
    },
  ],
};
