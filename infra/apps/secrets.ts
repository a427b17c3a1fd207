/**
 * The service's Secret, synced by external-secrets from the cloud secret store through the
 * platform's ClusterSecretStore. Only entry names appear in manifests; values never leave the store.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Labels } from "../lib/labels.ts";
import { objectMeta } from "../lib/labels.ts";
import { providerKeyVar } from "../../services/shared/src/contract.ts";
import { ALERTING_PROPERTIES } from "../cloud/secrets.ts";
import type { AppsContext } from "./context.ts";
import type { ServiceProfile } from "./profile.ts";

/** How often external-secrets re-reads the store: rotations reach the cluster within this. */
const REFRESH_INTERVAL = "1h";

interface SecretKey {
  /** Key in the Kubernetes Secret = the env var name the service reads (envFrom). */
  secretKey: string;
  remoteRef: { key: string; property?: string };
}

/** Which store entries a profile needs, as Secret keys. */
export function secretKeys(ctx: AppsContext, profile: ServiceProfile): SecretKey[] {
  const catalogue = ctx.cloud.secrets;
  const keys: SecretKey[] = [];
  // DATABASE_URL is not here: a Postgres user connects as its own role (database.ts), and the
  // store's Postgres entry (the admin login) is read by the role-provisioning Job only.
  for (const need of profile.secrets) {
    if (need === "clientApiKeys" && catalogue.clientApiKeys)
      keys.push({ secretKey: "API_KEYS", remoteRef: { key: catalogue.clientApiKeys } });
    if (need === "adminApiKeys" && catalogue.adminApiKeys)
      keys.push({ secretKey: "ADMIN_API_KEYS", remoteRef: { key: catalogue.adminApiKeys } });
    if (need === "providerApiKeys")
      for (const p of ctx.config.llmProviders) {
        const entry = catalogue.llmProviders[p.name];
        if (!entry) throw new Error(`the cloud secret catalogue has no entry for LLM provider ${p.name}`);
        keys.push({ secretKey: providerKeyVar(p.name), remoteRef: { key: entry } });
      }
  }
  if (profile.anomalyWebhook && catalogue.alerting) {
    const { url, secret } = profile.anomalyWebhook;
    keys.push(
      {
        secretKey: url,
        remoteRef: { key: catalogue.alerting, property: ALERTING_PROPERTIES.anomalyWebhookUrl },
      },
      {
        secretKey: secret,
        remoteRef: { key: catalogue.alerting, property: ALERTING_PROPERTIES.anomalyWebhookSecret },
      },
    );
  }
  return keys;
}

export function secretName(profile: ServiceProfile): string {
  return `${profile.name}-secrets`;
}

export function externalSecret(
  ctx: AppsContext,
  profile: ServiceProfile,
  labels: Labels,
  opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource | undefined {
  const data = secretKeys(ctx, profile);
  if (data.length === 0) return undefined;
  const name = secretName(profile);
  return new k8s.apiextensions.CustomResource(
    name,
    {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: objectMeta(name, ctx.platform.appNamespace, labels),
      spec: {
        refreshInterval: REFRESH_INTERVAL,
        secretStoreRef: { kind: "ClusterSecretStore", name: ctx.platform.secretStoreName },
        target: {
          name,
          // The Secret lives and dies with its ExternalSecret; labels make it attributable.
          creationPolicy: "Owner",
          template: { metadata: { labels } },
        },
        data,
      },
    },
    opts,
  );
}
