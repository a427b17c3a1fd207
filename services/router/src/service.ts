/**
 * The router as a service definition: the catalogue is read and checked at start (one message and
 * exit 2 on any problem); the anomalies topic steers every replica alike; calls go to the trace proxy
 * through one pool, over HTTP and WebSocket through the same pipeline.
 */
import { ConfigError, defineService } from "@llmops/shared";
import { PriceFeed } from "@llmops/shared/price-feed";
import { Balancer } from "./balancer.ts";
import { AnswerCache } from "./cache.ts";
import { loadCatalogue } from "./catalogue.ts";
import { contract } from "./contract.ts";
import { Dispatcher } from "./dispatch.ts";
import { ConcurrencyGate, parseTenantLimits, RateLimiter } from "./limits.ts";
import { observeState, routerMetrics } from "./metrics.ts";
import { ChatPipeline } from "./pipeline.ts";
import { routerRoutes } from "./routes.ts";
import { deploymentPrice } from "./prices.ts";
import { Steering } from "./steering.ts";
import { loadTokenizer } from "./tokens.ts";
import { TraceProxyClient } from "./upstream.ts";
import { wsRoutes } from "./ws.ts";

export default defineService({
  contract,
  configure(env) {
    const serviceKey = env.TRACE_PROXY_API_KEY ?? env.ADMIN_API_KEYS[0];
    const problems: string[] = [];
    if (!serviceKey)
      problems.push(
        "TRACE_PROXY_API_KEY: required (or an ADMIN_API_KEYS entry): the router's key at the trace proxy",
      );
    let catalogue;
    try {
      catalogue = loadCatalogue(env.ROUTER_PROVIDERS_FILE, env.ROUTING_STRATEGY);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    let tenantLimit;
    try {
      tenantLimit = parseTenantLimits(env.TENANT_LIMITS);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
    const costGroups = catalogue ? [...catalogue.groups.values()].filter((g) => g.strategy === "cost") : [];
    if (costGroups.length && !env.COST_API_URL)
      problems.push(
        `COST_API_URL: required by strategy "cost" (${costGroups.map((g) => g.name).join(", ")}): it ranks by the cost API's prices`,
      );
    if (env.RETRY_BACKOFF_MAX_MS < env.RETRY_BACKOFF_MS)
      problems.push("RETRY_BACKOFF_MAX_MS: must not be below RETRY_BACKOFF_MS");
    if (problems.length) throw new ConfigError(problems);
    return {
      ...env,
      serviceKey: serviceKey!,
      costApiKey: env.COST_API_KEY ?? env.ADMIN_API_KEYS[0] ?? serviceKey!,
      usesCost: costGroups.length > 0,
      catalogue: catalogue!,
      tenantLimit: tenantLimit!,
    };
  },
  async setup(ctx) {
    const { config } = ctx;
    const deployments = [...config.catalogue.groups.values()].flatMap((g) => g.deployments);
    if (config.tenantLimit.countsTokens || deployments.some((d) => d.tpm || d.contextWindow))
      await loadTokenizer();
    const metrics = routerMetrics(ctx.registry);
    const proxy = new TraceProxyClient(
      config.TRACE_PROXY_URL,
      config.serviceKey,
      config.MAX_CONCURRENT_REQUESTS * 2,
      ctx.tracing,
    );
    ctx.onClose("trace-proxy pool", () => proxy.close());
    const steering = new Steering({ ttlMs: config.ANOMALY_TTL_MS, recoveryMs: config.ANOMALY_RECOVERY_MS });
    await ctx.consume("llm.anomalies", (event) => {
      steering.apply(event);
      metrics.anomalies.inc({ state: event.subject.tenant ? "ignored" : (event.state ?? "firing") });
    });
    // The cost API's prices, only when a group ranks by them; routing never waits for the cost API.
    let prices: PriceFeed | null = null;
    if (config.usesCost && config.COST_API_URL) {
      const feed = new PriceFeed(config.COST_API_URL, config.costApiKey, (err) =>
        ctx.logger.warn({ err }, "prices not refreshed from the cost API"),
      );
      await feed.refresh();
      ctx.every("cost-api prices", config.PRICES_REFRESH_MS, () => feed.refresh());
      prices = feed;
    }
    const balancer = new Balancer({
      steering,
      priceOf: prices ? (d) => deploymentPrice(prices!, d) : undefined,
      breaker: {
        windowMs: config.BREAKER_WINDOW_MS,
        minRequests: config.BREAKER_MIN_REQUESTS,
        failureRate: config.BREAKER_FAILURE_PERCENT / 100,
        cooldownMs: config.COOLDOWN_MS,
      },
    });
    const gate = new ConcurrencyGate({
      maxConcurrent: config.MAX_CONCURRENT_REQUESTS,
      queueMax: config.QUEUE_MAX,
      queueTimeoutMs: config.QUEUE_TIMEOUT_MS,
    });
    const cache = config.CACHE_ENABLED
      ? new AnswerCache({ maxBytes: config.CACHE_MAX_BYTES, ttlMs: config.CACHE_TTL_MS })
      : null;
    const dispatcher = new Dispatcher({
      catalogue: config.catalogue,
      balancer,
      proxy,
      limiter: new RateLimiter(),
      metrics,
      retry: {
        retries: config.RETRIES,
        backoffBaseMs: config.RETRY_BACKOFF_MS,
        backoffCapMs: config.RETRY_BACKOFF_MAX_MS,
        attemptTimeoutMs: config.ATTEMPT_TIMEOUT_MS,
      },
    });
    const pipeline = new ChatPipeline({
      catalogue: config.catalogue,
      dispatcher,
      gate,
      tenants: new RateLimiter(),
      tenantLimit: config.tenantLimit,
      cache,
      metrics,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    });
    observeState(metrics, { catalogue: config.catalogue, balancer, gate, cache });
    await ctx.app.register(routerRoutes, {
      catalogue: config.catalogue,
      balancer,
      pipeline,
      keys: ctx.keys,
      tracing: ctx.tracing,
    });
    if (config.WS_MAX_CONNECTIONS > 0)
      await ctx.app.register(wsRoutes, {
        pipeline,
        keys: ctx.keys,
        tracing: ctx.tracing,
        metrics,
        maxConnections: config.WS_MAX_CONNECTIONS,
        maxInFlight: config.WS_MAX_IN_FLIGHT,
        pingIntervalMs: config.WS_PING_INTERVAL_MS,
        idleTimeoutMs: config.WS_IDLE_TIMEOUT_MS,
        maxPayload: ctx.app.initialConfig.bodyLimit ?? 1024 * 1024,
      });
    return { balancer, catalogue: config.catalogue, steering, gate, cache, prices };
  },
});
