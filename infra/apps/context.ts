/**
 * What every LlmService needs from the stack, resolved once by Apps: config, cloud and platform
 * interfaces plus the naming helpers that keep cross-object references (by name) consistent.
 */
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import { type Labels, standardLabels } from "../lib/labels.ts";
import type { PlatformOutputs } from "../platform/index.ts";
import { HTTP_PORT } from "./constants.ts";
import type { ServiceName } from "./profile.ts";

export interface AppsContext {
  config: StackConfig;
  cloud: CloudLayer;
  platform: PlatformOutputs;
}

/**
 * The pinned image of a service: registry/name:tag, registry/name@sha256:... for a digest tag, and
 * registry/name:tag@sha256:... when the image pipeline recorded the service's digest (the tag stays
 * for people; the runtime pulls by digest).
 */
export function imageOf(config: StackConfig, service: ServiceName): string {
  const digest = config.imageDigests[service];
  const base = `${config.imageRegistry}/${service}`;
  if (config.imageTag.startsWith("sha256:")) return `${base}@${digest ?? config.imageTag}`;
  return digest ? `${base}:${config.imageTag}@${digest}` : `${base}:${config.imageTag}`;
}

/** The seven required labels of every object belonging to a service. */
export function serviceLabels(ctx: AppsContext, service: string, component: string): Labels {
  return standardLabels({
    name: service,
    instance: `${service}-${ctx.config.stack}`,
    version: ctx.config.imageTag,
    component,
    environment: ctx.config.environment,
  });
}

/** The immutable subset a Deployment, Service, PDB and NetworkPolicy select pods by (no version). */
export function selectorLabels(labels: Labels): Labels {
  return {
    "app.kubernetes.io/name": labels["app.kubernetes.io/name"]!,
    "app.kubernetes.io/instance": labels["app.kubernetes.io/instance"]!,
  };
}

/** In-cluster FQDN and URL of a service (stable: every Service is named after its service). */
export function serviceHost(ctx: AppsContext, service: ServiceName): string {
  return `${service}.${ctx.platform.appNamespace}.svc.cluster.local`;
}

export function serviceUrl(ctx: AppsContext, service: ServiceName): string {
  return `http://${serviceHost(ctx, service)}:${HTTP_PORT}`;
}

/** The public hostname of a routed service. */
export function publicHost(ctx: AppsContext, subdomain: string): string {
  return `${subdomain}.${ctx.config.domain}`;
}

/** Port of the Kafka bootstrap address (the TLS listener), for NetworkPolicy egress. */
export function kafkaPort(ctx: AppsContext): number {
  const port = Number(ctx.platform.kafka.bootstrapServers.split(",")[0]!.split(":").pop());
  if (!Number.isInteger(port))
    throw new Error(`kafka.bootstrapServers has no port: ${ctx.platform.kafka.bootstrapServers}`);
  return port;
}
