/**
 * The service's non-secret configuration: the env vars of the service's contract (common ones plus
 * the profile's) and any rendered files. A checksum of it goes on the pod template so that a
 * config change rolls the Deployment instead of waiting for the next restart.
 */
import { createHash } from "node:crypto";
import type { CommonEnvName } from "../../services/shared/src/contract.ts";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { CONFIG_MOUNT, HTTP_PORT, KAFKA_MOUNTS, POSTGRES_CA, TMP_DIR } from "./constants.ts";
import type { AppsContext } from "./context.ts";
import type { ServiceProfile, Sizing } from "./profile.ts";
import { mebibytes } from "./quantity.ts";

/** Share of the memory limit V8's old space may use; the rest is stack, buffers and native memory. */
const HEAP_SHARE = 0.75;

export function configMapName(profile: ServiceProfile): string {
  return `${profile.name}-config`;
}

/** Files live in their own ConfigMap: envFrom would otherwise try to export "catalogue.json" as a variable. */
export function filesConfigMapName(profile: ServiceProfile): string {
  return `${profile.name}-files`;
}

/** The file name of a rendered file under CONFIG_MOUNT. */
export function configFilePath(file: string): string {
  return `${CONFIG_MOUNT}/${file}`;
}

export function configData(
  ctx: AppsContext,
  profile: ServiceProfile,
  sizing: Sizing,
): Record<string, string> {
  const heapMiB = Math.floor(mebibytes(sizing.resources.limits.memory) * HEAP_SHARE);
  // The runtime's own variables, by the names its schema gives them (a typo fails to compile).
  const runtime: Partial<Record<CommonEnvName, string>> = {
    PORT: String(HTTP_PORT),
    LOG_LEVEL: ctx.config.environment === "prod" ? "info" : "debug",
    SHUTDOWN_TIMEOUT_MS: String(profile.shutdownSeconds * 1000),
    // Only used when a service has no DATABASE_URL (embedded PGlite): keep it on the writable volume.
    DATA_DIR: `${TMP_DIR}/data`,
    KAFKA_BROKERS: ctx.platform.kafka.bootstrapServers,
    KAFKA_CONSUMER_GROUP: profile.kafka.groupPrefix,
    // mTLS to the Strimzi TLS listener: the KafkaUser's client certificate and the cluster CA.
    KAFKA_SSL_CA_FILE: `${KAFKA_MOUNTS.ca}/ca.crt`,
    KAFKA_SSL_CERT_FILE: `${KAFKA_MOUNTS.user}/user.crt`,
    KAFKA_SSL_KEY_FILE: `${KAFKA_MOUNTS.user}/user.key`,
    // The managed Postgres's CAs: its certificate does not chain to Node's default roots.
    ...(profile.database ? { DATABASE_CA_FILE: POSTGRES_CA.file } : {}),
    // Spans to the platform's collector when tracing is on; without the endpoint the runtime loads no tracer.
    ...(ctx.platform.tracing
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.platform.tracing.otlpEndpoint, OTEL_SERVICE_NAME: profile.name }
      : {}),
  };
  return {
    ...(runtime as Record<string, string>),
    NODE_ENV: "production",
    NODE_OPTIONS: `--max-old-space-size=${heapMiB}`,
    ...profile.env,
  };
}

export function configChecksum(...parts: Record<string, string>[]): string {
  const canonical = JSON.stringify(
    parts.map((d) => Object.entries(d).sort(([a], [b]) => a.localeCompare(b))),
  );
  return createHash("sha256").update(canonical).digest("hex");
}

export function configMap(
  ctx: AppsContext,
  name: string,
  data: Record<string, string>,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(
    name,
    { metadata: objectMeta(name, ctx.platform.appNamespace, labels), data },
    opts,
  );
}
