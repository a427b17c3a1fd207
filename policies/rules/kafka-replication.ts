import { asArray } from "./k8s.ts";
import { resourceRule } from "./types.ts";

const KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka";
const TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";
const POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";

const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN);

export const kafkaReplication = resourceRule({
  id: "kafka-replication",
  description:
    "Kafka keeps every partition on >= 3 brokers with min.insync.replicas >= 2 (cluster defaults, internal topics, " +
    "KafkaTopics, broker node pools).",
  severity: "high",
  category: "reliability",
  checklist: [
    {
      seed: "sentinel",
      item: 'High Availability: "Run at least 3 replicas", "Set up multi-zone deployment"',
    },
    { seed: "sentinel", item: 'Backup & Recovery: "Set up DR environment"' },
  ],
  remediation:
    "Set spec.kafka.config default.replication.factor: 3, min.insync.replicas: 2, offsets.topic.replication.factor: 3, " +
    "transaction.state.log.replication.factor: 3, transaction.state.log.min.isr: 2; KafkaTopic spec.replicas: 3 with " +
    "config min.insync.replicas: 2; broker KafkaNodePool replicas >= 3.",
  types: [KAFKA, TOPIC, POOL],
  options: { replicationFactor: 3, minInsyncReplicas: 2 },
  configSchema: {
    replicationFactor: { type: "integer", minimum: 1 },
    minInsyncReplicas: { type: "integer", minimum: 1 },
  },
  check(props, o, args) {
    const out: string[] = [];
    const rf = o.replicationFactor;
    const isr = o.minInsyncReplicas;
    if (args.type === KAFKA) {
      const cfg = props.spec?.kafka?.config ?? {};
      const need: [string, number][] = [
        ["default.replication.factor", rf],
        ["offsets.topic.replication.factor", rf],
        ["transaction.state.log.replication.factor", rf],
        ["min.insync.replicas", isr],
        ["transaction.state.log.min.isr", isr],
      ];
      for (const [k, min] of need) {
        const v = num(cfg[k]);
        if (!(v >= min)) out.push(`spec.kafka.config["${k}"] is ${cfg[k] ?? "unset (1)"}; needs >= ${min}.`);
      }
    } else if (args.type === TOPIC) {
      const r = num(props.spec?.replicas);
      if (!(r >= rf)) out.push(`KafkaTopic replicas is ${props.spec?.replicas ?? "unset"}; needs >= ${rf}.`);
      const m = num(props.spec?.config?.["min.insync.replicas"] ?? isr);
      if (!(m >= isr)) out.push(`KafkaTopic min.insync.replicas is ${m}; needs >= ${isr}.`);
    } else {
      const roles: string[] = asArray(props.spec?.roles);
      if (roles.includes("broker") && !(num(props.spec?.replicas) >= rf))
        out.push(`broker KafkaNodePool replicas is ${props.spec?.replicas}; needs >= ${rf}.`);
    }
    return out;
  },
});
