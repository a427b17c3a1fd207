/**
 * The services this stack deploys: every contract in services/services.ts, turned into a profile.
 * What the contract states (env, topics, Postgres, whom it calls, what it needs from the stack) is
 * read here and nowhere else in the infra; tuning.ts adds how this platform runs it.
 */
import type { ZodType } from "zod";
import { consumerGroupId, type ServiceContract } from "../../services/shared/src/contract.ts";
import { CONTRACTS } from "../../services/services.ts";
import { configFilePath } from "./configmap.ts";
import { type AppsContext, serviceUrl } from "./context.ts";
import { peakPods } from "./namespace.ts";
import type { SecretNeed, ServiceProfile } from "./profile.ts";
import { tuningOf } from "./tuning.ts";

/** The model catalogue file rendered for a service that asks for one. */
const CATALOGUE_FILE = "catalogue.json";

/**
 * The stack's providers as a model catalogue (the router's file format): one group per model name,
 * with a deployment on every provider that serves it.
 */
function catalogueOf(ctx: AppsContext): string {
  const groups = new Map<string, Array<{ provider: string; model: string }>>();
  for (const p of ctx.config.llmProviders)
    for (const model of p.models)
      groups.set(model, [...(groups.get(model) ?? []), { provider: p.name, model }]);
  const models = [...groups].map(([name, deployments]) => ({ name, deployments }));
  return JSON.stringify({ strategy: "balanced", models }, null, 2);
}

/** Values of the stack inputs a contract asks for, under the env var names it chose. */
function platformEnv(ctx: AppsContext, contract: ServiceContract): Record<string, string> {
  const { llmProviders, modelCatalogue, alertmanagerUrl, maxReplicas } = contract.platform;
  const providers = ctx.config.llmProviders;
  const env: Record<string, string> = {};
  if (llmProviders) {
    // Every upstream is a named provider with its key in <NAME>_API_KEY (the ExternalSecret).
    env[llmProviders.list] = providers.map((p) => `${p.name}=${p.baseUrl}`).join(",");
    if (llmProviders.default) env[llmProviders.default] = providers[0]!.name;
  }
  if (modelCatalogue) env[modelCatalogue] = configFilePath(CATALOGUE_FILE);
  if (alertmanagerUrl) env[alertmanagerUrl] = ctx.platform.monitoring.alertmanager.url;
  // The most pods that can run at once (the autoscaler's ceiling plus a rollout's surge), so a share per
  // replica (a budget) holds at any scale.
  if (maxReplicas)
    env[maxReplicas] = String(peakPods(tuningOf(contract.name).sizing[ctx.config.environment].replicas.max));
  for (const [callee, variable] of Object.entries(contract.calls)) env[variable] = serviceUrl(ctx, callee);
  return env;
}

/** Every value the infra sets must be one the service accepts: checked at plan time, not at rollout. */
function checkedEnv(contract: ServiceContract, env: Record<string, string>): Record<string, string> {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const field = contract.env.shape[key] as ZodType | undefined;
    if (!field) problems.push(`${key} is not in its env schema`);
    else {
      const r = field.safeParse(value);
      if (!r.success) problems.push(`${key}="${value}": ${r.error.issues[0]?.message}`);
    }
  }
  if (problems.length)
    throw new Error(`${contract.name}: the ConfigMap would not start it: ${problems.join("; ")}`);
  return env;
}

export function profileOf(ctx: AppsContext, contract: ServiceContract): ServiceProfile {
  const files = contract.platform.modelCatalogue ? { [CATALOGUE_FILE]: catalogueOf(ctx) } : undefined;
  const secrets: SecretNeed[] = ["clientApiKeys", "adminApiKeys"];
  if (contract.platform.llmProviders) secrets.push("providerApiKeys");
  const groupPrefix = contract.name;
  // The stack's anomaly webhook reaches a service that can post to one, when the stack has one.
  const anomalyWebhook = ctx.config.alerting.anomalyWebhook ? contract.platform.anomalyWebhook : undefined;
  return {
    ...tuningOf(contract.name),
    name: contract.name,
    env: checkedEnv(contract, { ...contract.cluster, ...platformEnv(ctx, contract) }),
    ...(files ? { files } : {}),
    secrets,
    kafka: {
      groupPrefix,
      consumes: contract.consumes.map((c) => ({
        topic: c.topic,
        group: consumerGroupId(groupPrefix, { ...c, perReplica: false }),
        perReplica: c.perReplica ?? false,
      })),
      produces: [...contract.produces],
    },
    database: contract.postgres,
    scripts: contract.scripts,
    calls: Object.keys(contract.calls),
    callers: CONTRACTS.filter((c) => contract.name in c.calls).map((c) => c.name),
    // A service that holds the provider list talks to the providers, a webhook poster to its
    // receiver: HTTPS to the internet.
    internetEgress: !!contract.platform.llmProviders || !!anomalyWebhook,
    ...(anomalyWebhook ? { anomalyWebhook } : {}),
    alertmanager: !!contract.platform.alertmanagerUrl,
  };
}

export function profiles(ctx: AppsContext): ServiceProfile[] {
  return CONTRACTS.map((c) => profileOf(ctx, c));
}
