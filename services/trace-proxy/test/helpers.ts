import {
  createLogger,
  type Logger,
  MemoryBus,
  startService,
  type TraceEvent,
  traceEventSchema,
} from "@llmops/shared";
import { type DemoUpstream, startDemoUpstream } from "../../demo-upstream/src/index.ts";
import traceProxy from "../src/service.ts";

export type TraceProxy = Awaited<ReturnType<typeof startTraceProxy>>;

/** The real service, as the runtime starts it, on a free loopback port. */
export function startTraceProxy(
  env: Record<string, string>,
  deps: { bus?: MemoryBus; logger?: Logger } = {},
) {
  return startService(traceProxy, {
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    ...(deps.bus ? { bus: deps.bus } : {}),
    logger: deps.logger ?? createLogger("trace-proxy", "silent"),
    instanceId: INSTANCE_ID,
  });
}

export const TENANT_KEY = "sk-tenant-acme";
export const OTHER_KEY = "sk-tenant-globex";
export const ADMIN_KEY = "sk-admin";
export const PROVIDER_KEY = "sk-provider-secret-never-logged";
/** Names the per-replica consumer groups of the proxy under test (trace-proxy-budgets-<id>). */
export const INSTANCE_ID = "test";

export interface Harness {
  upstream: DemoUpstream;
  proxy: TraceProxy;
  url: string;
  bus: MemoryBus;
  /** llm.traces events seen on the bus (schema-validated). */
  published: TraceEvent[];
  close(): Promise<void>;
  call(
    path: string,
    init?: RequestInit & { json?: unknown; key?: string | null; provider?: string },
  ): Promise<Response>;
  /** Waits until the trace store holds n traces (traces are recorded after the response is sent). */
  traces(n: number, query?: string, key?: string): Promise<TraceEvent[]>;
}

export async function harness(
  env: Record<string, string> = {},
  deps: { logger?: Logger } = {},
): Promise<Harness> {
  const upstream = await startDemoUpstream();
  const config = {
    PROVIDERS: `demo=${upstream.url},other=${upstream.url}/v1`,
    DEFAULT_PROVIDER: "demo",
    DEMO_API_KEY: PROVIDER_KEY,
    API_KEYS: `${TENANT_KEY}:acme,${OTHER_KEY}:globex`,
    ADMIN_API_KEYS: ADMIN_KEY,
    STORAGE_PROFILE: "memory",
    LOG_LEVEL: "silent",
    TIMEOUT_MS: "2000",
    ...env,
  };
  const bus = new MemoryBus();
  const published: TraceEvent[] = [];
  await bus.subscribe({
    topic: "llm.traces",
    groupId: "test",
    handler: (v) => void published.push(traceEventSchema.parse(v)),
  });
  const proxy = await startTraceProxy(config, { bus, ...deps });
  const url = proxy.url;
  const h: Harness = {
    upstream,
    proxy,
    url,
    bus,
    published,
    async close() {
      await proxy.close();
      await bus.close();
      await upstream.close();
    },
    call(path, init = {}) {
      const headers = new Headers(init.headers);
      const key = init.key === undefined ? TENANT_KEY : init.key;
      if (key) headers.set("authorization", `Bearer ${key}`);
      if (init.provider) headers.set("x-llm-provider", init.provider);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(url + path, { ...init, headers, body: body ?? null });
    },
    async traces(n, query = "", key = ADMIN_KEY) {
      const end = Date.now() + 10_000;
      while (true) {
        await proxy.api.store.flush();
        const r = await fetch(`${url}/api/v1/traces?limit=1000${query}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        const j = (await r.json()) as { data: TraceEvent[] };
        if (j.data.length >= n || Date.now() > end) return j.data;
        await new Promise((res) => setTimeout(res, 20));
      }
    },
  };
  return h;
}

export const chat = (extra: Record<string, unknown> = {}) => ({
  model: "demo-model",
  messages: [{ role: "user", content: "Say something about observability." }],
  ...extra,
});

/** Reads an SSE response, returning each read's text and the parsed data events. */
export async function readSse(res: Response): Promise<{ reads: string[]; events: any[]; raw: string }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const reads: string[] = [];
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    reads.push(dec.decode(value, { stream: true }));
  }
  const raw = reads.join("");
  const events = raw
    .split("\n\n")
    .map((e) => e.trim())
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6))
    .map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
  return { reads, events, raw };
}
