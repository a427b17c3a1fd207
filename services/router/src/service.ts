/**
 * The router as a service definition: the catalogue is read and checked at start (one message and
 * exit 2 on any problem), then the routes go to the trace proxy through one pool.
 */
import { ConfigError, defineService } from "@llmops/shared";
import { Balancer } from "./balancer.ts";
import { loadCatalogue } from "./catalogue.ts";
import { contract } from "./contract.ts";
import { routerMetrics } from "./metrics.ts";
import { routerRoutes } from "./routes.ts";
import { TraceProxyClient } from "./upstream.ts";

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
    const costGroups = catalogue ? [...catalogue.groups.values()].filter((g) => g.strategy === "cost") : [];
    if (costGroups.length)
      problems.push(
        `strategy "cost" (${costGroups.map((g) => g.name).join(", ")}): needs the cost API's prices, which this release does not read yet`,
      );
    if (problems.length) throw new ConfigError(problems);
    return { ...env, serviceKey: serviceKey!, catalogue: catalogue! };
  },
  async setup(ctx) {
    const { config } = ctx;
    const proxy = new TraceProxyClient(
      config.TRACE_PROXY_URL,
      config.serviceKey,
      config.MAX_CONCURRENT_REQUESTS * 2,
    );
    ctx.onClose("trace-proxy pool", () => proxy.close());
    const balancer = new Balancer();
    await ctx.app.register(routerRoutes, {
      catalogue: config.catalogue,
      balancer,
      proxy,
      keys: ctx.keys,
      metrics: routerMetrics(ctx.registry),
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      cooldownMs: config.COOLDOWN_MS,
    });
    return { balancer, catalogue: config.catalogue };
  },
});
