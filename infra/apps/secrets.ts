/**
 * The service's Secret (its API keys, provider keys and alerting webhook, as env vars through
 * envFrom), synced from the cloud secret store like every Secret of the apps layer.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Labels } from "../lib/labels.ts";
import { providerKeyVar } from "../../services/shared/src/contract.ts";
import { ALERTING_PROPERTIES } from "../cloud/secrets.ts";
import type { AppsContext } from "./context.ts";
import { type StoreKey, storeSecret } from "./external-secret.ts";
import type { ServiceProfile } from "./profile.ts";

/** Which store entries a profile needs, as Secret keys (each the env var name the service reads). */
export function secretKeys(ctx: AppsContext, profile: ServiceProfile): StoreKey[] {
  const catalogue = ctx.cloud.secrets;
  const keys: StoreKey[] = [];
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
  return storeSecret(ctx, secretName(profile), labels, { data }, opts);
}
