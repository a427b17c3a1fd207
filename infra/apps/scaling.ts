/**
 * How many pods, and how few: HorizontalPodAutoscaler (CPU/memory) or KEDA ScaledObject (consumer
 * lag), and a PodDisruptionBudget that keeps the floor through node drains without blocking them.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { type AppsContext, selectorLabels } from "./context.ts";
import { kafkaUserSecret } from "./kafka-user.ts";

/** Consumed topics whose replicas share one group: the lag of those is work to scale for. */
export function sharedGroups(profile: ServiceProfile): Array<{ topic: string; group: string }> {
  return profile.kafka.consumes.filter((c) => !c.perReplica);
}
import type { ServiceProfile, Sizing } from "./profile.ts";

type Opts = pulumi.CustomResourceOptions;

/** Prod keeps at least this many pods through voluntary disruptions (checklist: "min 2 available"). */
export const PROD_MIN_AVAILABLE = 2;

/** Scale up at once, scale down slowly: LLM traffic is bursty and cold pods are expensive. */
const BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: "Max",
    policies: [
      { type: "Percent", value: 100, periodSeconds: 30 },
      { type: "Pods", value: 4, periodSeconds: 30 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: "Min",
    policies: [{ type: "Percent", value: 20, periodSeconds: 60 }],
  },
};

const scaleTargetRef = (profile: ServiceProfile) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: profile.name,
});

export function autoscaler(
  ctx: AppsContext,
  profile: ServiceProfile,
  sizing: Sizing,
  labels: Labels,
  opts: Opts,
): pulumi.Resource[] {
  const meta = objectMeta(profile.name, ctx.platform.appNamespace, labels);
  const scaling = profile.autoscaling;
  if (scaling.kind === "cpu-memory") {
    const utilization = (name: string, averageUtilization: number) => ({
      type: "Resource",
      resource: { name, target: { type: "Utilization", averageUtilization } },
    });
    return [
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        profile.name,
        {
          metadata: meta,
          spec: {
            scaleTargetRef: scaleTargetRef(profile),
            minReplicas: sizing.replicas.min,
            maxReplicas: sizing.replicas.max,
            metrics: [utilization("cpu", scaling.cpuPercent), utilization("memory", scaling.memoryPercent)],
            behavior: BEHAVIOR,
          },
        },
        opts,
      ),
    ];
  }

  // KEDA reads lag with the service's own KafkaUser certificate over the TLS listener.
  const authName = `${profile.name}-kafka`;
  const auth = new k8s.apiextensions.CustomResource(
    authName,
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: objectMeta(authName, ctx.platform.appNamespace, labels),
      spec: {
        secretTargetRef: [
          { parameter: "ca", name: ctx.platform.kafka.caSecretName, key: "ca.crt" },
          { parameter: "cert", name: kafkaUserSecret(profile), key: "user.crt" },
          { parameter: "key", name: kafkaUserSecret(profile), key: "user.key" },
        ],
      },
    },
    opts,
  );
  const scaled = new k8s.apiextensions.CustomResource(
    profile.name,
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: meta,
      spec: {
        scaleTargetRef: scaleTargetRef(profile),
        // Never to zero: the services also answer HTTP (read APIs, probes).
        minReplicaCount: sizing.replicas.min,
        maxReplicaCount: sizing.replicas.max,
        pollingInterval: 15,
        cooldownPeriod: 300,
        advanced: { horizontalPodAutoscalerConfig: { name: profile.name, behavior: BEHAVIOR } },
        triggers: [
          ...sharedGroups(profile).map(({ topic, group }) => ({
            type: "kafka",
            name: `lag-${topic.replace(/\./g, "-")}`,
            metadata: {
              bootstrapServers: ctx.platform.kafka.bootstrapServers,
              consumerGroup: group,
              topic,
              lagThreshold: String(scaling.lagPerReplica),
              // A new consumer group starts at the tail; its backlog is not lag to scale for.
              offsetResetPolicy: "latest",
              tls: "enable",
            },
            authenticationRef: { name: authName },
          })),
          // The read APIs are served by the same pods: CPU pressure scales them too.
          { type: "cpu", metricType: "Utilization", metadata: { value: String(scaling.cpuPercent) } },
        ],
      },
    },
    { ...opts, dependsOn: [...asArray(opts.dependsOn), auth] },
  );
  return [auth, scaled];
}

function asArray<T>(v: pulumi.Input<pulumi.Input<T>[]> | pulumi.Input<T> | undefined): pulumi.Input<T>[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v as pulumi.Input<T>];
}

/**
 * prod: minAvailable 2 (the floor is >= 3, so a drain can always evict one pod);
 * dev: one replica, so maxUnavailable 1: a minAvailable would block every node drain.
 */
export function disruptionBudget(
  ctx: AppsContext,
  profile: ServiceProfile,
  sizing: Sizing,
  labels: Labels,
  opts: Opts,
): k8s.policy.v1.PodDisruptionBudget {
  const prod = ctx.config.environment === "prod";
  if (prod && sizing.replicas.min <= PROD_MIN_AVAILABLE)
    throw new Error(
      `${profile.name}: prod needs more than ${PROD_MIN_AVAILABLE} replicas for its PDB to allow a drain`,
    );
  return new k8s.policy.v1.PodDisruptionBudget(
    profile.name,
    {
      metadata: objectMeta(profile.name, ctx.platform.appNamespace, labels),
      spec: {
        selector: { matchLabels: selectorLabels(labels) },
        ...(prod ? { minAvailable: PROD_MIN_AVAILABLE } : { maxUnavailable: 1 }),
        // A crash-looping pod must not hold a node drain hostage.
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    },
    opts,
  );
}
