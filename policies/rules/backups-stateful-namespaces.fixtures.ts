import { type RuleFixtures, mut } from "../test/builders.ts";
import * as F from "../test/fixtures.ts";
import { res, T } from "../test/fixtures.ts";

const pool = () => res(T.pool, "brokers", F.kafkaNodePool());
/** Prometheus on a persistent volume: the monitoring namespace keeps state. */
const prom = () =>
  res(
    T.helm,
    "kube-prometheus-stack",
    mut(F.promStack(), (p) => {
      p.values.prometheus.prometheusSpec.storageSpec = {
        volumeClaimTemplate: { spec: { resources: { requests: { storage: "200Gi" } } } },
      };
    }),
  );
const velero = (f: (v: any) => void = () => {}) => res(T.helm, "velero", mut(F.veleroRelease(), f));
const pvc = (ns: string) =>
  res(T.pvc, `${ns}-data`, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: ns, labels: F.labels("data") },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
  });

export const fixtures: RuleFixtures = {
  good: [
    {
      name: "kafka and monitoring each covered by a snapshotting schedule",
      resources: [pool(), prom(), velero()],
    },
    {
      name: "one schedule over every namespace",
      resources: [
        pool(),
        pvc("llmops"),
        velero(
          (v) =>
            (v.values.schedules = {
              all: { schedule: "0 3 * * *", template: { includedNamespaces: ["*"] } },
            }),
        ),
      ],
    },
    {
      name: "a Velero Schedule object instead of chart values",
      resources: [
        pvc("llmops"),
        res(T.schedule, "llmops-daily", {
          apiVersion: "velero.io/v1",
          kind: "Schedule",
          metadata: { name: "llmops-daily", namespace: "velero", labels: F.labels("velero") },
          spec: { schedule: "0 3 * * *", template: { includedNamespaces: ["llmops"], ttl: "336h" } },
        }),
      ],
    },
    { name: "no state anywhere, no backups needed", resources: [res(T.deploy, "router", F.deployment())] },
  ],
  bad: [
    { name: "stateful namespaces and no Velero at all", resources: [pool(), prom()] },
    {
      name: "the monitoring schedule skips the volumes",
      resources: [
        pool(),
        prom(),
        velero((v) => (v.values.schedules["stateful-monitoring"].template.snapshotVolumes = false)),
      ],
    },
    {
      name: "a namespace with a PersistentVolumeClaim nobody backs up",
      resources: [pool(), prom(), velero(), pvc("llmops")],
    },
    {
      name: "backups kept only one day",
      resources: [pool(), velero((v) => (v.values.schedules["stateful-kafka"].template.ttl = "24h0m0s"))],
    },
    {
      name: "the kafka schedule is paused",
      resources: [pool(), prom(), velero((v) => (v.values.schedules["stateful-kafka"].paused = true))],
    },
  ],
};
