/**
 * The loop a user judges the platform by, with every service real and on one bus: calls through the
 * router are traced by the trace proxy, priced and budgeted by the cost API, watched by the sentinel;
 * a tenant over budget is refused, and when a provider degrades the sentinel's anomaly steers every
 * router replica away from it, including one that never saw a failure.
 * (The sentinel runs with buckets of a fraction of a second, so minutes of detection happen in seconds.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoUpstream, startDemoUpstream } from "../services/demo-upstream/src/index.ts";
import { type AnomalyEvent, createLogger, MemoryBus, type TraceEvent } from "../services/shared/src/index.ts";
import { type RunningService, servicesOnBus } from "./helpers/on-bus.ts";

const TENANT_KEY = "sk-tenant-acme";
const ADMIN_KEY = "sk-admin";
const silent = createLogger("loop", "silent");
const file = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "loop-")), name);
  writeFileSync(path, text);
  return path;
};

// Error rate judged on 0.2 s buckets of at least 4 calls; one anomalous bucket fires. Latency keeps its
// production buckets (10 s): on a 3-bucket baseline of ~1 ms local calls, a loaded machine's jitter alone
// would be a latency anomaly, and this spec is about a provider that fails.
const SENTINEL_CONFIG = `
baseline: { minSamples: 3, warmupSeconds: 0, refreshSeconds: 0.1 }
alerting: { fireAfter: 1, resolveAfter: 2, clearSeconds: 1 }
metrics:
  error_rate: { bucketSeconds: 0.2, minRequests: 4, maxSpanSeconds: 5 }
`;

const CATALOGUE = `
models:
  - name: pair
    deployments:
      - { provider: primary, model: model-a, weight: 1 }
      - { provider: secondary, model: model-b, weight: 1 }
  - name: solo
    deployments:
      - { provider: primary, model: model-a }
  - name: pair-b
    deployments:
      - { provider: secondary, model: model-b }
`;

const bus = new MemoryBus({ retention: 100_000 });
const traces: TraceEvent[] = [];
const anomalies: AnomalyEvent[] = [];
let upstreams: Record<"primary" | "secondary", DemoUpstream>;
const services = servicesOnBus({
  bus,
  logger: silent,
  env: { API_KEYS: `${TENANT_KEY}:acme`, ADMIN_API_KEYS: ADMIN_KEY },
});
const start = services.start;

let proxy: RunningService;
let costApi: RunningService;
const router = (extra: Record<string, string> = {}) =>
  start("router", {
    TRACE_PROXY_URL: proxy.url,
    ROUTER_PROVIDERS_FILE: file("catalogue.yaml", CATALOGUE),
    RETRY_BACKOFF_MS: "1",
    RETRY_BACKOFF_MAX_MS: "2",
    ...extra,
  });
const ask = (svc: RunningService, model: string) =>
  fetch(`${svc.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hello" }] }),
  }).then(async (r) => (await r.arrayBuffer(), r));

beforeAll(async () => {
  upstreams = { primary: await startDemoUpstream(), secondary: await startDemoUpstream() };
  await bus.subscribe({
    topic: "llm.traces",
    groupId: "spec",
    handler: (v) => void traces.push(v as TraceEvent),
  });
  await bus.subscribe({
    topic: "llm.anomalies",
    groupId: "spec",
    handler: (v) => void anomalies.push(v as AnomalyEvent),
  });
  proxy = await start("trace-proxy", {
    PROVIDERS: `primary=${upstreams.primary.url},secondary=${upstreams.secondary.url}`,
    STORAGE_PROFILE: "memory",
  });
  costApi = await start("cost-api", { BUDGET_CHECK_INTERVAL_MS: "200", REPRICE_INTERVAL_MS: "200" });
  await start("sentinel", {
    SENTINEL_CONFIG_FILE: file("sentinel.yaml", SENTINEL_CONFIG),
    COST_API_URL: costApi.url,
  });
});

const admin = (path: string, method = "GET", body?: unknown) =>
  fetch(`${costApi.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
afterAll(async () => {
  await services.closeAll();
  await bus.close();
  for (const u of Object.values(upstreams ?? {})) await u.close();
});

describe("the loop: routed, traced, priced, budgeted, watched, steered", () => {
  it("a call through the router is traced once and priced; a tenant over its budget is refused with budget_exceeded", async () => {
    const caller = await router();
    expect(
      (
        await admin("/api/v1/prices", "PUT", {
          provider: "secondary",
          model: "model-b",
          inputPerMTok: "1000000",
          cachedInputPerMTok: "1000000",
          outputPerMTok: "1000000",
          effectiveFrom: "2020-01-01T00:00:00Z",
        })
      ).status,
    ).toBeLessThan(300);
    expect(
      (await admin("/api/v1/budgets/acme", "PUT", { limitUsd: "5", period: "day" })).status,
    ).toBeLessThan(300);
    // Each call costs a dollar per token: a handful of calls is far over five dollars.
    const before = traces.length;
    for (let i = 0; i < 3; i++) expect((await ask(caller, "pair-b")).status).toBe(200);
    await expect.poll(() => traces.length - before).toBe(3);
    await expect
      .poll(async () => (await admin("/api/v1/costs?groupBy=provider&tenant=acme")).body.rows, {
        timeout: 10_000,
      })
      .toContainEqual(expect.objectContaining({ provider: "secondary", requests: 3 }));
    const { body: costs } = await admin("/api/v1/costs?groupBy=provider&tenant=acme");
    const spent = costs.rows.find((r: any) => r.provider === "secondary").costUsd;
    expect(Number(spent)).toBeGreaterThan(5);
    // The cost API announces the crossing on llm.budgets; the proxy refuses, the router passes it on.
    await expect
      .poll(
        async () => {
          const r = await fetch(`${caller.url}/v1/chat/completions`, {
            method: "POST",
            headers: { authorization: `Bearer ${TENANT_KEY}`, "content-type": "application/json" },
            body: JSON.stringify({ model: "pair-b", messages: [{ role: "user", content: "more" }] }),
          });
          return [r.status, ((await r.json()) as any).error?.code];
        },
        { timeout: 15_000, interval: 200 },
      )
      .toEqual([429, "budget_exceeded"]);
    // Lift the cap for what follows.
    expect(
      (await admin("/api/v1/budgets/acme", "PUT", { limitUsd: "1000000000", period: "day" })).status,
    ).toBeLessThan(300);
    await expect
      .poll(async () => (await ask(caller, "solo")).status, { timeout: 15_000, interval: 200 })
      .toBe(200);
  });

  it("a provider that starts failing is flagged by the sentinel and avoided by a replica that never saw it fail", async () => {
    const caller = await router();
    const bystander = await router();
    const pace = () => new Promise((r) => setTimeout(r, 15));

    // Normal traffic to primary: every call traced once, the sentinel learns the baseline.
    const before = traces.length;
    for (let i = 0; i < 60; i++) {
      expect((await ask(caller, "solo")).status).toBe(200);
      await pace();
    }
    await expect.poll(() => traces.length - before).toBe(60);
    expect(anomalies.filter((a) => a.subject.provider === "primary")).toEqual([]);

    // Primary breaks. The caller's own breaker sees it; the bystander only hears of it.
    upstreams.primary.setMode("error500");
    await expect
      .poll(
        async () => {
          await ask(caller, "solo");
          await pace();
          return anomalies.some(
            (a) => a.metric === "error_rate" && a.subject.provider === "primary" && a.state !== "resolved",
          );
        },
        { timeout: 20_000, interval: 1 },
      )
      .toBe(true);
    const flagged = anomalies.find((a) => a.metric === "error_rate" && a.subject.provider === "primary")!;
    expect(flagged.subject.model).toBe("model-a");

    const view = (await (
      await fetch(`${bystander.url}/api/v1/providers`, { headers: { authorization: `Bearer ${TENANT_KEY}` } })
    ).json()) as {
      data: { model: string; provider: string; state: string; reason: string; requests: number }[];
    };
    const primary = view.data.find((d) => d.model === "pair" && d.provider === "primary")!;
    expect(primary.state === "cooldown" || primary.state === "degraded").toBe(true);
    expect(primary.reason).toMatch(/^anomaly: .* error_rate/);
    expect(primary.requests).toBe(0);

    // The bystander sends (almost) nothing to primary: cooled down, or a sliver of its share.
    const seen = upstreams.primary.requests.length;
    for (let i = 0; i < 20; i++) expect((await ask(bystander, "pair")).status).toBe(200);
    expect(upstreams.primary.requests.length - seen).toBeLessThanOrEqual(
      flagged.severity === "critical" ? 0 : 6,
    );
  });
});
