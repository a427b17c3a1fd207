/**
 * Budgets under real concurrency: the real cost API, trace proxies and a demo upstream on one bus,
 * 50 callers racing a tenant's budget. Each proxy reserves every call's worst-case cost against its share
 * of what the cost API says is left, so the spend the cost API ends up billing stays within the limit
 * (the calls in flight when the cap is reached were already reserved), with one proxy and with two
 * sharing the budget.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoUpstream, startDemoUpstream } from "../services/demo-upstream/src/index.ts";
import { costOf, compareMoney, type Price, sumMoney } from "../services/shared/src/pricing.ts";
import { createLogger, MemoryBus, type TraceEvent } from "../services/shared/src/index.ts";
import { type RunningService, servicesOnBus } from "./helpers/on-bus.ts";

const ADMIN_KEY = "sk-admin";
const KEYS: Record<string, string> = { acme: "sk-acme", globex: "sk-globex" };
const silent = createLogger("budget-race", "silent");
const LIMIT = "20";
const CALLERS = 50;
const MAX_CALLS_PER_CALLER = 30;
// A dollar per hundred tokens: a call of the demo upstream ("hello", 12 words back) costs $0.14, so the
// budget is about 140 calls and the callers would spend $210 without a cap.
const RATE = "10000";

const bus = new MemoryBus({ retention: 100_000 });
const traces: TraceEvent[] = [];
const services = servicesOnBus({
  bus,
  logger: silent,
  env: {
    API_KEYS: Object.entries(KEYS)
      .map(([tenant, key]) => `${key}:${tenant}`)
      .join(","),
    ADMIN_API_KEYS: ADMIN_KEY,
  },
});
const start = services.start;
let upstream: DemoUpstream;
let costApi: RunningService;
let price: Price;

const proxy = (replicas: number) =>
  start("trace-proxy", {
    PROVIDERS: `demo=${upstream.url}`,
    STORAGE_PROFILE: "memory",
    COST_API_URL: costApi.url,
    BUDGET_REPLICAS: String(replicas),
    BUDGET_DEFAULT_MAX_TOKENS: "32",
    BUDGET_REFRESH_MS: "100",
    BUDGET_INGEST_WINDOW_MS: "1000",
    PRICES_REFRESH_MS: "1000",
  });

const admin = (path: string, method = "GET", body?: unknown) =>
  fetch(`${costApi.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

const ask = async (svc: RunningService, tenant: string) => {
  const r = await fetch(`${svc.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEYS[tenant]}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "demo-model", messages: [{ role: "user", content: "hello" }] }),
  });
  const body = (await r.json()) as any;
  return { status: r.status, code: body?.error?.code as string | undefined };
};

/** Every caller calls until refused; returns how each call ended. */
async function race(tenant: string, proxies: RunningService[]) {
  const outcomes: { status: number; code?: string | undefined }[] = [];
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, i) => {
      const via = proxies[i % proxies.length]!;
      for (let n = 0; n < MAX_CALLS_PER_CALLER; n++) {
        const o = await ask(via, tenant);
        outcomes.push(o);
        if (o.status !== 200) return;
      }
    }),
  );
  return outcomes;
}

/** What the calls of this tenant cost at the price, from their traces; resolves once the cost API bills it all. */
async function billed(tenant: string): Promise<string> {
  const expected = () =>
    sumMoney(
      traces.filter((t) => t.tenant === tenant && t.status === 200).map((t) => costOf(t.usage, price)),
    );
  let spent = "";
  await expect
    .poll(
      async () => {
        spent = (await admin(`/api/v1/budgets/${tenant}/status`)).body.spentUsd;
        return compareMoney(spent, expected());
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(0);
  return spent;
}

beforeAll(async () => {
  // Calls take a while, so many are in flight at once (as against a real model).
  upstream = await startDemoUpstream({ latencyMs: 30 });
  await bus.subscribe({
    topic: "llm.traces",
    groupId: "spec",
    handler: (v) => void traces.push(v as TraceEvent),
  });
  costApi = await start("cost-api", { BUDGET_CHECK_INTERVAL_MS: "200", REPRICE_INTERVAL_MS: "200" });
  const put = await admin("/api/v1/prices", "PUT", {
    provider: "demo",
    model: "demo-model",
    inputPerMTok: RATE,
    cachedInputPerMTok: RATE,
    outputPerMTok: RATE,
    effectiveFrom: "2020-01-01T00:00:00Z",
  });
  expect(put.status).toBeLessThan(300);
  price = (await admin("/api/v1/prices?provider=demo&model=demo-model")).body.data[0];
  for (const tenant of Object.keys(KEYS))
    expect((await admin(`/api/v1/budgets/${tenant}`, "PUT", { limitUsd: LIMIT, period: "day" })).status).toBe(
      200,
    );
}, 60_000);

afterAll(async () => {
  await services.closeAll();
  await bus.close();
  await upstream?.close();
});

describe("50 concurrent callers racing a budget", () => {
  it("one proxy: the spend billed stays within the limit, and the callers are refused with budget_exceeded", async () => {
    const p = await proxy(1);
    // The proxy learns the tenant's status on its first call (in the background: no round trip per call).
    expect((await ask(p, "acme")).status).toBe(200);
    await (p.api as any).ledger.known("acme");

    const outcomes = await race("acme", [p]);
    const refused = outcomes.filter((o) => o.status === 429);
    expect(refused.length).toBe(CALLERS);
    expect(refused.every((o) => o.code === "budget_exceeded")).toBe(true);
    expect(outcomes.every((o) => o.status === 200 || o.status === 429)).toBe(true);

    const spent = await billed("acme");
    // The bound: every call in flight when the cap was reached held a worst-case reservation.
    expect(compareMoney(spent, LIMIT)).toBeLessThanOrEqual(0);
    // ...and the tenant was not refused while most of its budget was left.
    expect(compareMoney(spent, "10")).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it("two proxies sharing the budget (BUDGET_REPLICAS=2): the sum of their spend stays within the limit", async () => {
    const a = await proxy(2);
    const b = await proxy(2);
    for (const p of [a, b]) {
      expect((await ask(p, "globex")).status).toBe(200);
      await (p.api as any).ledger.known("globex");
    }

    const outcomes = await race("globex", [a, b]);
    expect(outcomes.filter((o) => o.code === "budget_exceeded").length).toBe(CALLERS);

    const spent = await billed("globex");
    expect(compareMoney(spent, LIMIT)).toBeLessThanOrEqual(0);
    expect(compareMoney(spent, "5")).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
