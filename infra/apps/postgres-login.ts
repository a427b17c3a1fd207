/**
 * A Postgres login's connection URL in the cluster, as a Secret an ExternalSecret renders from the
 * cloud's Postgres entry (host, port, database, sslmode):
 *
 *   - a password login (the metrics exporter's): with an external-secrets Password generator, rendered
 *     once; the password never passes through Pulumi, the roles Job sets it on the login;
 *   - a token login (the services' workload identities): the user and no password at all; the client
 *     signs in with its identity's short-lived token, so there is nothing to generate or rotate.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type Labels, objectMeta } from "../lib/labels.ts";
import type { AppsContext } from "./context.ts";
import { type StoreSecretSpec, storeSecret } from "./external-secret.ts";

const GENERATOR_API = "generators.external-secrets.io/v1alpha1";

/** The URL's part after the credentials, from the entry's fields. */
const SERVER = "{{ .host }}:{{ .port }}/{{ .database }}?sslmode={{ .sslmode }}";

/** The login's Secret: DATABASE_URL (and `extra` keys) rendered from the store's Postgres entry. */
function loginSecret(
  ctx: AppsContext,
  name: string,
  url: pulumi.Input<string>,
  labels: Labels,
  extra: Record<string, string>,
  spec: Pick<StoreSecretSpec, "refreshPolicy" | "dataFrom">,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const entry = ctx.cloud.secrets.postgres;
  const field = (property: string) => ({ secretKey: property, remoteRef: { key: entry, property } });
  return storeSecret(
    ctx,
    name,
    labels,
    {
      ...spec,
      templateData: { DATABASE_URL: url, ...extra },
      data: ["host", "port", "database", "sslmode"].map(field),
    },
    opts,
  );
}

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
  return loginSecret(
    ctx,
    name,
    `postgres://${role}:{{ .password }}@${SERVER}`,
    labels,
    extra,
    {
      // Once: a new password would lock the login's users out until the roles Job ran again.
      refreshPolicy: "CreatedOnce",
      dataFrom: [
        {
          sourceRef: { generatorRef: { apiVersion: GENERATOR_API, kind: "Password", name: generatorName } },
        },
      ],
    },
    { ...opts, dependsOn: [...((opts.dependsOn as pulumi.Resource[]) ?? []), generator] },
  );
}

/**
 * A token login's Secret: DATABASE_URL names `user` (URL-encoded: a Cloud SQL IAM user carries `@`)
 * and no password. Refreshed like the admin entry: nothing in it is generated, so a moved server
 * reaches its clients at the next refresh.
 */
export function postgresTokenLoginSecret(
  ctx: AppsContext,
  name: string,
  user: pulumi.Input<string>,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const url = pulumi.output(user).apply((u) => `postgres://${encodeURIComponent(u)}@${SERVER}`);
  return loginSecret(ctx, name, url, labels, {}, {}, opts);
}
