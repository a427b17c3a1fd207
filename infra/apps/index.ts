/**
 * The apps layer: the four services, each a short declaration of what makes it different. What
 * every service gets (and the production checklists demand) is LlmService's job, not theirs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { CloudLayer } from "../cloud/types.ts";
import type { StackConfig } from "../config.ts";
import type { PlatformOutputs } from "../platform/index.ts";
import { configFilePath } from "./configmap.ts";
import { ALERTMANAGER } from "./constants.ts";
import { type AppsContext, serviceLabels, serviceUrl } from "./context.ts";
import { LlmService } from "./llm-service.ts";
import { limitRange, resourceQuota } from "./namespace.ts";
import { defineService, type ServiceProfile } from "./profile.ts";
import { SIZING } from "./sizing.ts";

export interface AppsArgs {
  config: StackConfig;
  cloud: CloudLayer;
  platform: PlatformOutputs;
}

/** The router's provider catalogue: names and models only (keys and URLs are the proxy's). */
const PROVIDERS_FILE = "providers.json";

export function profiles(ctx: AppsContext): ServiceProfile[] {
  const { config, platform } = ctx;
  const providers = config.llmProviders;
  const { topics } = platform.kafka;
  return [
    defineService({
      name: "router",
      component: "gateway",
      sizing: SIZING.router,
      autoscaling: { kind: "cpu-memory", cpuPercent: 70, memoryPercent: 80 },
      env: {
        ROUTING_STRATEGY: "balanced",
        MAX_CONCURRENT_REQUESTS: "100",
        WS_MAX_CONNECTIONS: "1000",
        CACHE_ENABLED: "true",
        TRACE_PROXY_URL: serviceUrl(ctx, "trace-proxy"),
        ROUTER_PROVIDERS_FILE: configFilePath(PROVIDERS_FILE),
      },
      files: {
        [PROVIDERS_FILE]: JSON.stringify(
          providers.map((p) => ({ name: p.name, models: p.models })),
          null,
          2,
        ),
      },
      secrets: ["clientApiKeys"],
      kafka: { consumerGroup: "router", consumes: [topics.anomalies], produces: [] },
      route: {
        subdomain: "api",
        paths: ["/v1"],
        requestTimeoutSeconds: 300,
        websocket: { path: "/ws", timeoutSeconds: 3600 },
      },
      calls: ["trace-proxy"],
      sessionAffinityQueryParam: "session",
      // Open WebSocket sessions get time to finish their current completion.
      shutdownSeconds: 30,
      connectionPool: { maxConnections: 4000, maxPendingRequests: 1000 },
      slo: { availability: 0.999, latency: { thresholdSeconds: 10, objective: 0.95 } },
    }),
    defineService({
      name: "trace-proxy",
      component: "proxy",
      sizing: SIZING["trace-proxy"],
      autoscaling: { kind: "cpu-memory", cpuPercent: 70, memoryPercent: 80 },
      env: {
        // Every upstream is a named provider with its own <NAME>_API_KEY. UPSTREAM_URL stays unset: it
        // would add an unnamed "default" upstream whose key (UPSTREAM_API_KEY) the store does not hold.
        PROVIDERS: providers.map((p) => `${p.name}=${p.baseUrl}`).join(","),
        DEFAULT_PROVIDER: providers[0]!.name,
        TIMEOUT_MS: "30000",
        MAX_CONNECTIONS: "1000",
        STORAGE_PROFILE: "production",
        SECURITY_ANALYSIS: "on",
      },
      secrets: ["clientApiKeys", "adminApiKeys", "providerApiKeys"],
      database: true,
      kafka: { consumerGroup: "trace-proxy", consumes: [topics.budgets], produces: [topics.traces] },
      route: { subdomain: "proxy", paths: ["/v1", "/api/v1"], requestTimeoutSeconds: 300 },
      callers: ["router"],
      internetEgress: true,
      shutdownSeconds: 30,
      connectionPool: { maxConnections: 2000, maxPendingRequests: 1000 },
      slo: { availability: 0.999, latency: { thresholdSeconds: 10, objective: 0.95 } },
      // The proxy measures each LLM call (OpenTelemetry GenAI names) rather than generic HTTP.
      sli: {
        requests: "trace_proxy_requests_total",
        statusLabel: "status",
        duration: "gen_ai_client_operation_duration_seconds",
      },
    }),
    defineService({
      name: "cost-api",
      component: "api",
      sizing: SIZING["cost-api"],
      autoscaling: { kind: "kafka-lag", lagPerReplica: 500, cpuPercent: 70 },
      env: {},
      secrets: ["clientApiKeys", "adminApiKeys"],
      database: true,
      kafka: { consumerGroup: "cost-api", consumes: [topics.traces], produces: [topics.budgets] },
      slo: { availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } },
    }),
    defineService({
      name: "sentinel",
      component: "detector",
      sizing: SIZING.sentinel,
      autoscaling: { kind: "kafka-lag", lagPerReplica: 1000, cpuPercent: 70 },
      env: {
        ALERTMANAGER_URL: `http://${ALERTMANAGER.service}.${platform.monitoring.namespace}.svc:${ALERTMANAGER.port}`,
      },
      secrets: ["clientApiKeys", "adminApiKeys"],
      database: true,
      kafka: { consumerGroup: "sentinel", consumes: [topics.traces], produces: [topics.anomalies] },
      alertmanager: true,
      // Seed 000's SentinelHighErrorRate: ingestion/detection/storage errors above 10/s.
      errorCounters: { metricRegex: "sentinel_[a-z_]+_errors_total", perSecond: 10 },
      slo: { availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } },
    }),
  ];
}

export class Apps extends pulumi.ComponentResource {
  /** Public URLs of the services exposed through the Gateway. */
  readonly endpoints: Record<string, string>;

  constructor(name: string, args: AppsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llmops:apps:Apps", name, {}, opts);
    const ctx: AppsContext = { config: args.config, cloud: args.cloud, platform: args.platform };
    const all = profiles(ctx);
    const unknown = Object.keys(args.config.imageDigests).filter((s) => !all.some((p) => p.name === s));
    if (unknown.length > 0)
      throw new Error(
        `imageDigests: no such service ${unknown.join(", ")} (services: ${all.map((p) => p.name).join(", ")})`,
      );

    const nsLabels = serviceLabels(ctx, "apps", "namespace-policy");
    resourceQuota(ctx, all, nsLabels, { parent: this });
    limitRange(ctx, all, nsLabels, { parent: this });

    const services = all.map(
      (profile) => new LlmService(profile.name, { profile, context: ctx }, { parent: this }),
    );
    this.endpoints = Object.fromEntries(
      services.filter((s) => s.publicUrl).map((s) => [camel(s.serviceName), s.publicUrl!]),
    );
    this.registerOutputs({ endpoints: this.endpoints });
  }
}

/** trace-proxy -> traceProxy: stack output keys stay identifier-friendly. */
function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
