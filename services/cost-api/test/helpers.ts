import { randomUUID } from "node:crypto";
import {
  type BudgetEvent,
  budgetEventSchema,
  createLogger,
  MemoryBus,
  startService,
  type TraceEvent,
} from "@llmops/shared";
import costApi from "../src/service.ts";

export const ADMIN_KEY = "sk-admin";
export const ACME_KEY = "sk-acme";
export const GLOBEX_KEY = "sk-globex";

export function trace(
  over: Omit<Partial<TraceEvent>, "usage"> & { usage?: Partial<TraceEvent["usage"]> } = {},
): TraceEvent {
  const { usage, ...rest } = over;
  return {
    v: 1,
    id: randomUUID(),
    traceId: randomUUID().replaceAll("-", ""),
    tenant: "acme",
    provider: "openai",
    model: "gpt-4o",
    operation: "chat",
    stream: false,
    startedAt: new Date().toISOString(),
    latencyMs: 120,
    ttftMs: null,
    status: 200,
    errorType: null,
    securityFlags: [],
    securityScore: 0,
    attributes: {},
    ...rest,
    usage: { inputTokens: 1000, cachedInputTokens: 0, outputTokens: 100, source: "provider", ...usage },
  };
}

export type CostApi = Awaited<ReturnType<typeof startCostApi>>;

/** The real service on a free port, fed through an in-process bus; DATABASE_URL picks a real Postgres. */
export async function startCostApi(env: Record<string, string> = {}) {
  const bus = new MemoryBus({ retryDelayMs: 10 });
  const budgetEvents: BudgetEvent[] = [];
  await bus.subscribe({
    topic: "llm.budgets",
    groupId: "test",
    handler: (v) => void budgetEvents.push(budgetEventSchema.parse(v)),
  });
  const svc = await startService(costApi, {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: "memory",
      API_KEYS: `${ACME_KEY}:acme,${GLOBEX_KEY}:globex`,
      ADMIN_API_KEYS: ADMIN_KEY,
      LOG_LEVEL: "silent",
      ...env,
    },
    bus,
    logger: createLogger("cost-api", "silent"),
    instanceId: "test",
  });
  const call = async (path: string, init: { method?: string; key?: string | null; json?: unknown } = {}) => {
    const headers: Record<string, string> = {};
    const key = init.key === undefined ? ADMIN_KEY : init.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (init.json !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(svc.url + path, {
      method: init.method ?? "GET",
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // CSV and metrics stay text
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    svc,
    bus,
    budgetEvents,
    call,
    /** Publishes trace events and waits until the service has stored all of them. */
    async ingest(events: TraceEvent[]): Promise<void> {
      for (const e of events) await bus.publish("llm.traces", e.tenant, e);
      const ids = events.map((e) => e.id);
      const end = Date.now() + 20_000;
      for (;;) {
        const r = await svc.db!.query("select count(*)::int as n from cost_usage where event_id = any($1)", [
          ids,
        ]);
        if (r.rows[0].n === new Set(ids).size) return;
        if (Date.now() > end) throw new Error("timed out waiting for ingest");
        await new Promise((res) => setTimeout(res, 10));
      }
    },
    async close() {
      await svc.close();
      await bus.close();
    },
  };
}

/** One metric's value from the Prometheus text. */
export function metricValue(text: string, name: string, labels = ""): number | undefined {
  const line = text
    .split("\n")
    .find(
      (l) =>
        l.startsWith(`${name}${labels ? `{${labels}` : ""}`) &&
        (labels || l.startsWith(`${name} `) || l.startsWith(`${name}{`)),
    );
  return line ? Number(line.split(" ").at(-1)) : undefined;
}
