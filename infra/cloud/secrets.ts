/**
 * What goes into the cloud secret store, decided once: entry names (the catalogue the apps layer's
 * ExternalSecrets read) and their values. Each cloud only decides how to store an entry.
 */
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword.js";
import type { StackConfig } from "../config.ts";
import { baseName } from "./naming.ts";
import type { PostgresTls, SecretCatalogue } from "./types.ts";

/**
 * The managed server's database and admin login. Only the apps layer's role-provisioning Job uses the
 * login: every service connects as a role of its own, in a schema of its own, in this one database.
 */
export const POSTGRES_DATABASE = "llmops";
export const POSTGRES_USER = "llmops";
export const POSTGRES_PORT = 5432;

export interface SecretEntry {
  /** Short logical id, used in Pulumi resource names. */
  id: string;
  /** Name of the entry in the secret store (letters, digits and '-': valid on all three clouds). */
  key: string;
  description: string;
  value: pulumi.Output<string>;
}

/** Properties of the alerting entry that the apps layer reads by name. */
export const ALERTING_PROPERTIES = {
  anomalyWebhookUrl: "anomalyWebhookUrl",
  anomalyWebhookSecret: "anomalyWebhookSecret",
} as const;

export function secretCatalogue(config: StackConfig): SecretCatalogue {
  const base = baseName(config);
  return {
    postgres: `${base}-postgres`,
    llmProviders: Object.fromEntries(config.llmProviders.map((p) => [p.name, `${base}-llm-${p.name}`])),
    ...(config.alerting.slackWebhookUrl ||
    config.alerting.pagerdutyRoutingKey ||
    config.alerting.anomalyWebhook
      ? { alerting: `${base}-alerting` }
      : {}),
    ...(config.clientApiKeys.length > 0 ? { clientApiKeys: `${base}-client-api-keys` } : {}),
    ...(config.adminApiKeys.length > 0 ? { adminApiKeys: `${base}-admin-api-keys` } : {}),
    ...(config.grafanaSso ? { grafanaOidc: `${base}-grafana-oidc` } : {}),
  };
}

/**
 * The Postgres admin password. URL-unreserved specials only, so the password drops into a
 * postgres:// URL unescaped; the minimums satisfy Azure's three-of-four complexity rule. Returned
 * as an explicit secret: not every provider SDK marks the argument it lands in as secret.
 */
export function postgresPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  const password = new RandomPassword(
    name,
    {
      length: 32,
      special: true,
      overrideSpecial: "-_.~",
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 2,
    },
    { parent },
  );
  return pulumi.secret(password.result);
}

export interface PostgresEndpoint {
  host: pulumi.Input<string>;
  password: pulumi.Input<string>;
  /** The verification the server's certificate allows (CloudPostgres.tls.sslmode). */
  sslmode: PostgresTls["sslmode"];
  /** Login name when it differs from the role (none of the three clouds needs one today). */
  username?: string;
}

/** Every entry with its (secret) value, in catalogue order. */
export function secretEntries(config: StackConfig, postgres: PostgresEndpoint): SecretEntry[] {
  const names = secretCatalogue(config);
  const entries: SecretEntry[] = [
    {
      id: "postgres",
      key: names.postgres,
      description: "Postgres admin login and server address (services connect as their own roles)",
      value: pulumi.secret(
        pulumi.all([postgres.host, postgres.password]).apply(([host, password]) => {
          const username = postgres.username ?? POSTGRES_USER;
          return JSON.stringify({
            username,
            password,
            host,
            port: POSTGRES_PORT,
            database: POSTGRES_DATABASE,
            sslmode: postgres.sslmode,
            url: `postgres://${encodeURIComponent(username)}:${password}@${host}:${POSTGRES_PORT}/${POSTGRES_DATABASE}?sslmode=${postgres.sslmode}`,
          });
        }),
      ),
    },
    ...config.llmProviders.map((p) => ({
      id: `llm-${p.name}`,
      key: names.llmProviders[p.name]!,
      description: `API key of LLM provider ${p.name} (${p.baseUrl})`,
      value: pulumi.secret(p.apiKey),
    })),
  ];
  if (names.alerting) {
    const { slackWebhookUrl, pagerdutyRoutingKey, anomalyWebhook } = config.alerting;
    entries.push({
      id: "alerting",
      key: names.alerting,
      description: "Alert receiver secrets (Alertmanager's receivers, the sentinel's anomaly webhook)",
      value: pulumi.secret(
        pulumi
          .all([slackWebhookUrl, pagerdutyRoutingKey, anomalyWebhook?.url, anomalyWebhook?.secret])
          .apply(([slack, pagerduty, webhookUrl, webhookSecret]) =>
            JSON.stringify({
              ...(slack ? { slackWebhookUrl: slack } : {}),
              ...(pagerduty ? { pagerdutyRoutingKey: pagerduty } : {}),
              ...(webhookUrl ? { [ALERTING_PROPERTIES.anomalyWebhookUrl]: webhookUrl } : {}),
              ...(webhookSecret ? { [ALERTING_PROPERTIES.anomalyWebhookSecret]: webhookSecret } : {}),
            }),
          ),
      ),
    });
  }
  if (names.clientApiKeys) {
    entries.push({
      id: "client-api-keys",
      key: names.clientApiKeys,
      description: "Router and trace-proxy client keys (API_KEYS key:tenant list)",
      value: pulumi.secret(
        pulumi
          .all(config.clientApiKeys.map((k) => pulumi.interpolate`${k.key}:${k.tenant}`))
          .apply((pairs) => pairs.join(",")),
      ),
    });
  }
  if (names.adminApiKeys) {
    entries.push({
      id: "admin-api-keys",
      key: names.adminApiKeys,
      description: "Admin API keys (ADMIN_API_KEYS list)",
      value: pulumi.secret(pulumi.all(config.adminApiKeys).apply((keys) => keys.join(","))),
    });
  }
  if (names.grafanaOidc && config.grafanaSso) {
    entries.push({
      id: "grafana-oidc",
      key: names.grafanaOidc,
      description: "Grafana's OpenID Connect client secret",
      value: pulumi.secret(config.grafanaSso.clientSecret),
    });
  }
  return entries;
}
