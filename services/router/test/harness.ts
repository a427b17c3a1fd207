/**
 * What the router's specs run against: demo upstreams that can be told to fail (one per provider), the
 * real trace proxy in front of them (started as the runtime starts any service), an in-process bus
 * that collects every trace, and routers started from a catalogue text.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, MemoryBus, startService, type TraceEvent, traceEventSchema } from "@llmops/shared";
import OpenAI from "openai";
import {
  type DemoUpstream,
  type DemoUpstreamOptions,
  startDemoUpstream,
} from "../../demo-upstream/src/index.ts";
import { loadDefinition } from "../../services.ts";
import router from "../src/service.ts";

export const TENANT_KEY = "sk-tenant-acme";
export const OTHER_TENANT_KEY = "sk-tenant-globex";
export const ADMIN_KEY = "sk-admin";
const KEYS = `${TENANT_KEY}:acme,${OTHER_TENANT_KEY}:globex`;
const silent = createLogger("test", "silent");
const traceProxy = await loadDefinition("trace-proxy");

export type RouterService = Awaited<ReturnType<typeof startRouterService>>;
const startRouterService = (env: Record<string, string>, bus: MemoryBus) =>
  startService(router, { env, bus, logger: silent });

export async function startHarness<P extends string>(
  upstreamOptions: Record<P, DemoUpstreamOptions>,
  /** More env for the trace proxy (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
  proxyEnv: Record<string, string> = {},
) {
  const upstreams = {} as Record<P, DemoUpstream>;
  for (const [name, o] of Object.entries(upstreamOptions) as [P, DemoUpstreamOptions][])
    upstreams[name] = await startDemoUpstream(o);
  const bus = new MemoryBus();
  const traces: TraceEvent[] = [];
  await bus.subscribe({
    topic: "llm.traces",
    groupId: "test",
    handler: (v) => void traces.push(traceEventSchema.parse(v)),
  });
  const proxy = await startService(traceProxy, {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      PROVIDERS: Object.entries<DemoUpstream>(upstreams)
        .map(([name, u]) => `${name}=${u.url}`)
        .join(","),
      API_KEYS: KEYS,
      ADMIN_API_KEYS: ADMIN_KEY,
      STORAGE_PROFILE: "memory",
      LOG_LEVEL: "silent",
      TIMEOUT_MS: "3000",
      ...proxyEnv,
    },
    bus,
    logger: silent,
  });
  const routers: RouterService[] = [];

  /** The router's env for a catalogue text (written to a file, as ROUTER_PROVIDERS_FILE wants it). */
  const routerEnv = (catalogue: string, extra: Record<string, string> = {}) => {
    const file = join(mkdtempSync(join(tmpdir(), "catalogue-")), "catalogue.yaml");
    writeFileSync(file, catalogue);
    return {
      PORT: "0",
      HOST: "127.0.0.1",
      TRACE_PROXY_URL: proxy.url,
      ROUTER_PROVIDERS_FILE: file,
      API_KEYS: KEYS,
      ADMIN_API_KEYS: ADMIN_KEY,
      LOG_LEVEL: "silent",
      COOLDOWN_MS: "60000",
      RETRY_BACKOFF_MS: "5",
      RETRY_BACKOFF_MAX_MS: "20",
      BREAKER_MIN_REQUESTS: "4",
      ...extra,
    };
  };

  return {
    upstreams,
    bus,
    proxy,
    traces,
    routerEnv,
    async startRouter(catalogue: string, extra: Record<string, string> = {}) {
      const svc = await startRouterService(routerEnv(catalogue, extra), bus);
      routers.push(svc);
      return svc;
    },
    client: (svc: RouterService, apiKey = TENANT_KEY) =>
      new OpenAI({ baseURL: `${svc.url}/v1`, apiKey, maxRetries: 0 }),
    /** Every upstream healthy again. */
    heal() {
      for (const u of Object.values<DemoUpstream>(upstreams)) u.setMode(null);
    },
    async close() {
      for (const r of routers) await r.close();
      await proxy.close();
      await bus.close();
      for (const u of Object.values<DemoUpstream>(upstreams)) await u.close();
    },
  };
}

/** POST /v1/chat/completions with fetch (what the SDK hides: headers, raw bodies, status codes). */
export function post(
  svc: RouterService,
  body: unknown,
  headers: Record<string, string> = {},
  key = TENANT_KEY,
): Promise<Response> {
  return fetch(`${svc.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
