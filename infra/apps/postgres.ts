/**
 * What the app namespace shares about the managed Postgres: the CA bundle its server certificate
 * chains to. Public material, so a ConfigMap, not a Secret.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import { POSTGRES_CA } from "./constants.ts";
import type { AppsContext } from "./context.ts";

export function postgresCaConfigMap(
  ctx: AppsContext,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(
    POSTGRES_CA.configMap,
    {
      metadata: objectMeta(POSTGRES_CA.configMap, ctx.platform.appNamespace, labels),
      data: { [POSTGRES_CA.key]: ctx.cloud.postgres.tls.caBundle },
    },
    opts,
  );
}
