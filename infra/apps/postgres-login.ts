/**
 * A Postgres login's credentials in the cluster: an external-secrets Password generator and a
 * created-once ExternalSecret rendering the login's DATABASE_URL from it and the cloud's Postgres
 * entry. The password never passes through Pulumi; the roles Job sets it on the login.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";

const GENERATOR_API = "generators.external-secrets.io/v1alpha1";

/**
 * A Postgres login's Secret: a password generated in the cluster (never in Pulumi state), rendered
 * once as DATABASE_URL for `role` (plus `extra` template keys) by an ExternalSecret named `name`.
 */
export function postgresLoginSecret(
  ctx: AppsContext,
  name: string,
  role: string,
  labels: Labels,
  extra: Record<string, string>,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const generatorName = `${name}-password`;
  const generator = new k8s.apiextensions.CustomResource(
    generatorName,
    {
      apiVersion: GENERATOR_API,
      kind: "Password",
      metadata: objectMeta(generatorName, ctx.platform.appNamespace, labels),
      spec: { length: 40, digits: 8, symbols: 0, noUpper: false, allowRepeat: true },
    },
    opts,
  );
  const entry = ctx.cloud.secrets.postgres;
  const field = (property: string) => ({ secretKey: property, remoteRef: { key: entry, property } });
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: objectMeta(name, ctx.platform.appNamespace, labels),
      spec: {
        // Once: a new password would lock the login's users out until the roles Job ran again.
        refreshPolicy: "CreatedOnce",
        secretStoreRef: { kind: "ClusterSecretStore", name: ctx.platform.secretStoreName },
        target: {
          name,
          creationPolicy: "Owner",
          template: {
            metadata: { labels },
            data: {
              DATABASE_URL: `postgres://${role}:{{ .password }}@{{ .host }}:{{ .port }}/{{ .database }}?sslmode={{ .sslmode }}`,
              ...extra,
            },
          },
        },
        data: ["host", "port", "database", "sslmode"].map(field),
        dataFrom: [
          {
            sourceRef: { generatorRef: { apiVersion: GENERATOR_API, kind: "Password", name: generatorName } },
          },
        ],
      },
    },
    { ...opts, dependsOn: [...((opts.dependsOn as pulumi.Resource[]) ?? []), generator] },
  );
}
