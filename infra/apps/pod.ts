/**
 * The pod template every service runs with. Everything the production checklists ask of a pod is
 * here, unconditionally: restricted security context, probes on the contract paths, graceful
 * shutdown, resources, spreading, mounted (never inlined) credentials.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { Labels } from "../lib/labels.ts";
import {
  APP_UID,
  CONFIG_MOUNT,
  HTTP_PORT,
  HTTP_PORT_NAME,
  KAFKA_MOUNTS,
  PATHS,
  POSTGRES_CA,
  PRE_STOP_SLEEP_SECONDS,
  TMP_DIR,
} from "./constants.ts";
import type { AppsContext } from "./context.ts";
import { imageOf } from "./context.ts";
import { kafkaUserSecret } from "./kafka-user.ts";
import type { ContainerResources, ServiceProfile, Sizing } from "./profile.ts";
import { MIGRATION_RESOURCES } from "./sizing.ts";
import { poolSelector } from "../platform/placement.ts";

type PodTemplate = k8s.types.input.core.v1.PodTemplateSpec;
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/** Headroom between the app's own shutdown budget and the kubelet's SIGKILL. */
const KILL_MARGIN_SECONDS = 5;

/** preStop sleep + the app's drain budget + margin: SIGKILL never cuts a drain short. */
export function terminationGracePeriod(profile: ServiceProfile): number {
  return PRE_STOP_SLEEP_SECONDS + profile.shutdownSeconds + KILL_MARGIN_SECONDS;
}

/** Pod Security "restricted", per container (the pod-level part is in podSecurityContext). */
export const CONTAINER_SECURITY: k8s.types.input.core.v1.SecurityContext = {
  runAsNonRoot: true,
  runAsUser: APP_UID,
  runAsGroup: APP_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  privileged: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export const POD_SECURITY: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: APP_UID,
  runAsGroup: APP_UID,
  fsGroup: APP_UID,
  seccompProfile: { type: "RuntimeDefault" },
};

const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
  httpGet: { path, port: HTTP_PORT_NAME, scheme: "HTTP" },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold,
});

export const PROBES = {
  // Up to 2 minutes to start (connect to Kafka, warm caches) before liveness takes over.
  startupProbe: probe(PATHS.liveness, 5, 24),
  livenessProbe: probe(PATHS.liveness, 10, 3),
  // Readiness reflects dependencies (/ready) and reacts fast so traffic drains from a sick pod.
  readinessProbe: probe(PATHS.readiness, 5, 2),
};

const VOLUMES = {
  tmp: "tmp",
  files: "files",
  kafkaUser: "kafka-user",
  kafkaCa: "kafka-ca",
  postgresCa: "postgres-ca",
} as const;

function volumes(ctx: AppsContext, profile: ServiceProfile, filesConfigMap?: string): Volume[] {
  return [
    // The only writable path: tsx's compile cache, PGlite fallback data, temp files.
    { name: VOLUMES.tmp, emptyDir: { sizeLimit: "256Mi" } },
    ...(filesConfigMap ? [{ name: VOLUMES.files, configMap: { name: filesConfigMap } }] : []),
    { name: VOLUMES.kafkaUser, secret: { secretName: kafkaUserSecret(profile), defaultMode: 0o440 } },
    {
      name: VOLUMES.kafkaCa,
      secret: { secretName: ctx.platform.kafka.caSecretName, items: [{ key: "ca.crt", path: "ca.crt" }] },
    },
    ...(profile.database
      ? [
          {
            name: VOLUMES.postgresCa,
            configMap: {
              name: POSTGRES_CA.configMap,
              items: [{ key: POSTGRES_CA.key, path: POSTGRES_CA.key }],
            },
          },
        ]
      : []),
  ];
}

const TMP_MOUNT: VolumeMount = { name: VOLUMES.tmp, mountPath: TMP_DIR };
const POSTGRES_CA_MOUNT: VolumeMount = {
  name: VOLUMES.postgresCa,
  mountPath: POSTGRES_CA.mount,
  readOnly: true,
};

function mounts(profile: ServiceProfile, withFiles: boolean): VolumeMount[] {
  return [
    TMP_MOUNT,
    ...(profile.database ? [POSTGRES_CA_MOUNT] : []),
    ...(withFiles ? [{ name: VOLUMES.files, mountPath: CONFIG_MOUNT, readOnly: true }] : []),
    { name: VOLUMES.kafkaUser, mountPath: KAFKA_MOUNTS.user, readOnly: true },
    { name: VOLUMES.kafkaCa, mountPath: KAFKA_MOUNTS.ca, readOnly: true },
  ];
}

export interface PodArgs {
  profile: ServiceProfile;
  sizing: Sizing;
  labels: Labels;
  selector: Labels;
  serviceAccountName: string;
  configMapName: string;
  filesConfigMapName?: string;
  secretName?: string;
  /** The Secret with the service's own DATABASE_URL (database.ts), for a Postgres user. */
  databaseSecretName?: string;
  /** How that URL logs in (DATABASE_AUTH and what the mode needs), for the app and its migrations. */
  databaseEnv?: k8s.types.input.core.v1.EnvVar[];
  /** Pod labels the cloud identity needs (Azure workload identity). */
  identityLabels?: Record<string, string>;
  annotations: Record<string, string>;
}

function envFrom(args: PodArgs): k8s.types.input.core.v1.EnvFromSource[] {
  return [
    { configMapRef: { name: args.configMapName } },
    ...(args.secretName ? [{ secretRef: { name: args.secretName } }] : []),
    ...(args.databaseSecretName ? [{ secretRef: { name: args.databaseSecretName } }] : []),
  ];
}

function resources(r: ContainerResources) {
  return { requests: { ...r.requests }, limits: { ...r.limits } };
}

/** Migrations run to completion before the new version serves (init container = before rollout). */
function migrationContainer(ctx: AppsContext, args: PodArgs): Container {
  return {
    name: "migrate",
    image: imageOf(ctx.config, args.profile.name),
    imagePullPolicy: "IfNotPresent",
    // The image's entrypoint is `node`: the argument picks the bundled migration script.
    args: [args.profile.scripts.migrate!],
    envFrom: envFrom(args),
    ...(args.databaseEnv?.length ? { env: args.databaseEnv } : {}),
    resources: resources(MIGRATION_RESOURCES),
    securityContext: CONTAINER_SECURITY,
    volumeMounts: [TMP_MOUNT, POSTGRES_CA_MOUNT],
  };
}

function mainContainer(ctx: AppsContext, args: PodArgs): Container {
  return {
    name: args.profile.name,
    image: imageOf(ctx.config, args.profile.name),
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: HTTP_PORT_NAME, containerPort: HTTP_PORT, protocol: "TCP" }],
    envFrom: envFrom(args),
    // A unique Kafka client id per pod makes broker-side quotas and logs attributable.
    env: [
      { name: "KAFKA_CLIENT_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ...(args.databaseEnv ?? []),
    ],
    resources: resources(args.sizing.resources),
    securityContext: CONTAINER_SECURITY,
    ...PROBES,
    // Keep serving while the endpoint removal propagates to the gateway and sidecars, then SIGTERM.
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
    volumeMounts: mounts(args.profile, Boolean(args.filesConfigMapName)),
  };
}

/**
 * Spread across zones (hard in prod: losing a zone never takes the service down) and hosts (soft:
 * scale-out must not stall on a full node); pod-template-hash keeps a rollout's new pods spread too.
 */
function spreading(ctx: AppsContext, selector: Labels): Partial<k8s.types.input.core.v1.PodSpec> {
  const prod = ctx.config.environment === "prod";
  const constraint = (topologyKey: string, hard: boolean) => ({
    topologyKey,
    maxSkew: 1,
    whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway",
    labelSelector: { matchLabels: selector },
    matchLabelKeys: ["pod-template-hash"],
  });
  if (!prod) return { topologySpreadConstraints: [constraint("kubernetes.io/hostname", false)] };
  return {
    topologySpreadConstraints: [
      constraint("topology.kubernetes.io/zone", true),
      constraint("kubernetes.io/hostname", false),
    ],
    affinity: preferOtherHosts(selector),
  };
}

/** Soft anti-affinity: the scheduler prefers a host that runs no pod of the same selector. */
export function preferOtherHosts(selector: Labels): k8s.types.input.core.v1.Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: {
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: selector },
          },
        },
      ],
    },
  };
}

export function podTemplate(ctx: AppsContext, args: PodArgs): PodTemplate {
  return {
    metadata: {
      labels: { ...args.labels, ...args.identityLabels },
      annotations: { "kubectl.kubernetes.io/default-container": args.profile.name, ...args.annotations },
    },
    spec: {
      serviceAccountName: args.serviceAccountName,
      // No service talks to the Kubernetes API: no token in the pod.
      automountServiceAccountToken: false,
      // Service discovery is DNS; docker-link env vars would only leak other services' addresses.
      enableServiceLinks: false,
      securityContext: POD_SECURITY,
      terminationGracePeriodSeconds: terminationGracePeriod(args.profile),
      ...(args.profile.database ? { initContainers: [migrationContainer(ctx, args)] } : {}),
      containers: [mainContainer(ctx, args)],
      volumes: volumes(ctx, args.profile, args.filesConfigMapName),
      // Workload nodes only: the system pool (when there is one) keeps its room for the controllers.
      nodeSelector: poolSelector(ctx.config, "workload")!,
      ...spreading(ctx, args.selector),
    },
  };
}
