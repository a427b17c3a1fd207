/**
 * Namespace-wide guard rails of the app namespace: a ResourceQuota sized from the services' own
 * profiles (all of them at full scale, mid-rollout, with sidecars) and the fixed workloads beside
 * them (the Postgres exporter): nothing more; a LimitRange
 * for anything that forgets its resources. The Namespace itself, its Pod Security labels, its
 * default-deny/DNS/istiod NetworkPolicies and the namespace-wide mTLS default belong to the platform
 * layer; each LlmService adds its own workload-level STRICT PeerAuthentication (mesh.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../config.ts";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";
import type { ContainerResources, ServiceProfile } from "./profile.ts";
import { formatCpu, formatMemory, mebibytes, millicores } from "./quantity.ts";
import { MESH_SIDECAR, MIGRATION_RESOURCES, ROLLOUT_SURGE } from "./sizing.ts";

type Opts = pulumi.CustomResourceOptions;

interface Totals {
  pods: number;
  requestsCpu: number;
  requestsMemory: number;
  limitsCpu: number;
  limitsMemory: number;
}

/** Pods a service can have at once: the autoscaler's maximum plus the rollout surge. */
export function peakPods(max: number): number {
  return Math.ceil(max * (1 + ROLLOUT_SURGE));
}

/** A workload of the namespace beside the services, outside the mesh (no sidecar): the Postgres exporter. */
export interface FixedWorkload {
  replicas: number;
  resources: ContainerResources;
}

/**
 * The namespace's worst case: every service at its maximum, mid-rollout, each pod with its sidecar;
 * and the fixed workloads beside them, mid-rollout too.
 */
export function quotaTotals(
  profiles: ServiceProfile[],
  environment: Environment,
  fixed: FixedWorkload[] = [],
): Totals {
  const t: Totals = { pods: 0, requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0 };
  for (const w of fixed) {
    const pods = peakPods(w.replicas);
    t.pods += pods;
    t.requestsCpu += pods * millicores(w.resources.requests.cpu);
    t.requestsMemory += pods * mebibytes(w.resources.requests.memory);
    t.limitsCpu += pods * millicores(w.resources.limits.cpu);
    t.limitsMemory += pods * mebibytes(w.resources.limits.memory);
  }
  for (const p of profiles) {
    const { replicas, resources } = p.sizing[environment];
    const pods = peakPods(replicas.max);
    // A pod's effective request is max(init container, sum of app containers); migrations are smaller.
    const per = (pick: (r: ContainerResources) => string, parse: (q: string) => number) =>
      Math.max(parse(pick(resources)) + parse(pick(MESH_SIDECAR)), parse(pick(MIGRATION_RESOURCES)));
    t.pods += pods;
    t.requestsCpu += pods * per((r) => r.requests.cpu, millicores);
    t.requestsMemory += pods * per((r) => r.requests.memory, mebibytes);
    t.limitsCpu += pods * per((r) => r.limits.cpu, millicores);
    t.limitsMemory += pods * per((r) => r.limits.memory, mebibytes);
  }
  return t;
}

export function resourceQuota(
  ctx: AppsContext,
  profiles: ServiceProfile[],
  labels: Labels,
  opts: Opts,
  fixed: FixedWorkload[] = [],
): k8s.core.v1.ResourceQuota {
  const t = quotaTotals(profiles, ctx.config.environment, fixed);
  const name = "apps";
  return new k8s.core.v1.ResourceQuota(
    name,
    {
      metadata: objectMeta(name, ctx.platform.appNamespace, labels),
      spec: {
        hard: {
          pods: String(t.pods),
          "requests.cpu": formatCpu(t.requestsCpu),
          "requests.memory": formatMemory(t.requestsMemory),
          "limits.cpu": formatCpu(t.limitsCpu),
          "limits.memory": formatMemory(t.limitsMemory),
          // Admission-time backstop of "the Gateway is the only way in".
          "services.loadbalancers": "0",
          "services.nodeports": "0",
          // The services are stateless: state lives in Postgres and Kafka.
          persistentvolumeclaims: "0",
        },
      },
    },
    opts,
  );
}

export function limitRange(
  ctx: AppsContext,
  profiles: ServiceProfile[],
  labels: Labels,
  opts: Opts,
): k8s.core.v1.LimitRange {
  const all = [
    ...profiles.map((p) => p.sizing[ctx.config.environment].resources),
    MESH_SIDECAR,
    MIGRATION_RESOURCES,
  ];
  const maxCpu = Math.max(...all.map((r) => millicores(r.limits.cpu)));
  const maxMemory = Math.max(...all.map((r) => mebibytes(r.limits.memory)));
  const name = "apps";
  return new k8s.core.v1.LimitRange(
    name,
    {
      metadata: objectMeta(name, ctx.platform.appNamespace, labels),
      spec: {
        limits: [
          {
            type: "Container",
            // Defaults for containers that declare nothing (debug pods, injected helpers).
            defaultRequest: { cpu: "100m", memory: "128Mi" },
            default: { cpu: "500m", memory: "512Mi" },
            // No container may outgrow the largest profile: a typo'd "40" CPUs fails at admission.
            max: { cpu: formatCpu(maxCpu), memory: formatMemory(maxMemory) },
          },
        ],
      },
    },
    opts,
  );
}
