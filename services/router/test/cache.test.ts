/** The answer cache's rules, end to end: what is kept, under which key, and what never is. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TENANT_KEY, post, type RouterService, startHarness } from "./harness.ts";

const CATALOGUE = `
models:
  - name: chat
    deployments: [{ provider: main, model: model-a }]
    fallbacks: [spare]
  - name: spare
    deployments: [{ provider: backup, model: model-b }]
`;

let h: Awaited<ReturnType<typeof startHarness<"main" | "backup">>>;
let svc: RouterService;
beforeAll(async () => {
  h = await startHarness({ main: {}, backup: {} });
  svc = await h.startRouter(CATALOGUE, { CACHE_ENABLED: "true" });
});
afterAll(() => h?.close());

let n = 0;
/** A prompt no other spec used, so each spec starts from a cold cache. */
const fresh = (extra: Record<string, unknown> = {}) => ({
  model: "chat",
  messages: [{ role: "user", content: `question ${++n}` }],
  temperature: 0,
  ...extra,
});
const calls = () => h.upstreams.main.requests.length + h.upstreams.backup.requests.length;

describe("the answer cache", () => {
  it("temperature 0: the second identical call is a HIT with the same body and no upstream call", async () => {
    const body = fresh();
    const first = await post(svc, body);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const seen = calls();
    const second = await post(svc, body);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.text()).toBe(await first.text());
    expect(calls()).toBe(seen);
  });

  it("the key is the canonical body: key order does not matter, any other difference does", async () => {
    const body = fresh();
    await post(svc, body);
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect((await post(svc, reordered)).headers.get("x-cache")).toBe("HIT");
    expect((await post(svc, { ...body, max_tokens: 5 })).headers.get("x-cache")).toBe("MISS");
  });

  it("no answer crosses tenants", async () => {
    const body = fresh();
    await post(svc, body);
    expect((await post(svc, body, {}, OTHER_TENANT_KEY)).headers.get("x-cache")).toBe("MISS");
  });

  it("not cached: a non-zero temperature (unless the caller opts in), a stream, Cache-Control no-store", async () => {
    const warm = fresh({ temperature: 0.7 });
    await post(svc, warm);
    expect((await post(svc, warm)).headers.get("x-cache")).toBe("BYPASS");
    const optIn = fresh({ temperature: 0.7 });
    await post(svc, optIn, { "x-router-cache": "on" });
    expect((await post(svc, optIn, { "x-router-cache": "on" })).headers.get("x-cache")).toBe("HIT");
    const noStore = fresh();
    await post(svc, noStore, { "cache-control": "no-store" });
    expect((await post(svc, noStore)).headers.get("x-cache")).toBe("MISS");
    const stream = await post(svc, fresh({ stream: true }));
    expect(stream.headers.get("x-cache")).toBe("BYPASS");
    await stream.text();
  });

  it("Cache-Control no-cache skips the lookup but keeps the fresh answer", async () => {
    const body = fresh();
    await post(svc, body);
    const seen = calls();
    expect((await post(svc, body, { "cache-control": "no-cache" })).headers.get("x-cache")).toBe("MISS");
    expect(calls()).toBe(seen + 1);
    expect((await post(svc, body)).headers.get("x-cache")).toBe("HIT");
  });

  it("never caches an error, nor a fallback group's answer under the requested group", async () => {
    const failing = fresh();
    h.upstreams.main.setMode("error400");
    expect((await post(svc, failing)).status).toBe(400);
    h.heal();
    expect((await post(svc, failing)).headers.get("x-cache")).toBe("MISS");

    const viaFallback = fresh();
    h.upstreams.main.setMode("error500");
    const answered = await post(svc, viaFallback);
    expect(answered.headers.get("x-llm-provider")).toBe("backup");
    h.heal();
    const again = await post(svc, viaFallback);
    expect(again.headers.get("x-cache")).toBe("MISS");
    expect(again.headers.get("x-llm-provider")).toBe("main");
  });

  it("is bounded by bytes: old entries are evicted, never the memory", async () => {
    const small = await h.startRouter(CATALOGUE, { CACHE_ENABLED: "true", CACHE_MAX_BYTES: "4096" });
    for (let i = 0; i < 30; i++) await post(small, fresh());
    expect(small.api.cache!.bytes).toBeLessThanOrEqual(4096);
    expect(small.api.cache!.entries).toBeLessThan(30);
  });

  it("counts hits, misses and bypasses in its metrics", async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    expect(text).toMatch(/router_cache_requests_total\{result="hit"[^}]*\} [1-9]/);
    expect(text).toMatch(/router_cache_requests_total\{result="miss"[^}]*\} [1-9]/);
    expect(text).toMatch(/router_cache_requests_total\{result="bypass"[^}]*\} [1-9]/);
  });
});
