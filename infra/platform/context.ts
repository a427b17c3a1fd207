/**
 * What every platform module receives: the stack config, the cloud layer, the sizing for this
 * environment, the parent component, and two helpers that keep objects uniform — labels for
 * objects Pulumi creates and a Helm release built from the pinned table.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import { type Labels, objectMeta, standardLabels } from "../lib/labels.ts";
import type { PlatformSizing } from "./sizing.ts";
import { CHARTS, type ChartKey } from "./versions.ts";

export interface PlatformContext {
  config: StackConfig;
  cloud: CloudLayer;
  sizing: PlatformSizing;
  /** The Platform component: parent of everything (and source of the Kubernetes provider). */
  parent: pulumi.Resource;
}

/** Labels for an object belonging to a pinned chart's software (version from the table). */
export function chartLabels(ctx: PlatformContext, chart: ChartKey, component: string, name?: string): Labels {
  const pin = CHARTS[chart];
  return standardLabels({
    name: name ?? pin.chart,
    version: pin.appVersion,
    component,
    environment: ctx.config.environment,
  });
}

/** metadata for an object of a pinned chart's software. */
export function chartMeta(
  ctx: PlatformContext,
  chart: ChartKey,
  component: string,
  name: string,
  namespace: string | undefined,
  extra?: Parameters<typeof objectMeta>[3],
) {
  return objectMeta(name, namespace, chartLabels(ctx, chart, component), extra);
}

export interface ReleaseArgs {
  namespace: string;
  values: pulumi.Input<Record<string, unknown>>;
  dependsOn?: pulumi.Resource[];
  /** Helm release name; defaults to the chart name. */
  name?: string;
  /** Leave the chart's crds/ folder alone: its CRDs are applied as their own resources (crds.ts). */
  skipCrds?: boolean;
}

/**
 * A Helm release of a pinned chart. helm.v3.Release (not v4.Chart) so chart, version and values
 * stay visible to previews, the policy pack and the offline plan. atomic + cleanupOnFail: a failed
 * install rolls back instead of leaving half a controller behind.
 */
export function chartRelease(ctx: PlatformContext, chart: ChartKey, args: ReleaseArgs): k8s.helm.v3.Release {
  const pin = CHARTS[chart];
  const name = args.name ?? pin.chart;
  return new k8s.helm.v3.Release(
    name,
    {
      name,
      chart: pin.chart,
      version: pin.version,
      repositoryOpts: { repo: pin.repo },
      namespace: args.namespace,
      createNamespace: false,
      atomic: true,
      cleanupOnFail: true,
      timeout: 900,
      maxHistory: 10,
      ...(args.skipCrds ? { skipCrds: true } : {}),
      values: args.values,
    },
    { parent: ctx.parent, dependsOn: args.dependsOn ?? [] },
  );
}
