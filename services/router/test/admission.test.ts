/**
 * What the router lets through, end to end: MAX_CONCURRENT_REQUESTS with its bounded queue, tenant
 * rpm/tpm, deployment rpm, context windows, and bad input, each a clear OpenAI-style error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OTHER_TENANT_KEY, post, startHarness } from "./harness.ts";

const CATALOGUE = `
models:
  - name: slow
    deployments: [{ provider: slow, model: slow-model }]
  - name: limited
    strategy: fallback
    deployments:
      - { provider: fast, model: capped, rpm: 2, priority: 0 }
      - { provider: fast, model: spare, rpm: 1, priority: 1 }
  - name: small
    deployments: [{ provider: fast, model: small-ctx, contextWindow: 50 }]
    fallbacks: [large]
  - name: large
    deployments: [{ provider: fast, model: large-ctx, contextWindow: 100000 }]
  - name: tiny
    deployments: [{ provider: fast, model: tiny-ctx, contextWindow: 20 }]
`;

let h: Awaited<ReturnType<typeof startHarness<"fast" | "slow">>>;
beforeAll(async () => {
  h = await startHarness({ fast: {}, slow: { latencyMs: 300 } });
});
afterAll(() => h?.close());

const hi = (model: string, content = "hi") => ({ model, messages: [{ role: "user", content }] });

describe("MAX_CONCURRENT_REQUESTS and the queue", () => {
  it("calls beyond the limit wait in a bounded queue; beyond it, 429 with Retry-After; the queue drains", async () => {
    const svc = await h.startRouter(CATALOGUE, {
      MAX_CONCURRENT_REQUESTS: "2",
      QUEUE_MAX: "2",
      QUEUE_TIMEOUT_MS: "5000",
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => post(svc, hi("slow"))));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = results.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(((await refused.json()) as any).error.code).toBe("router_overloaded");
    expect(svc.api.gate.active).toBe(0);
    expect(svc.api.gate.queued).toBe(0);
  });

  it("a queued call that does not get a slot in QUEUE_TIMEOUT_MS is refused", async () => {
    const svc = await h.startRouter(CATALOGUE, {
      MAX_CONCURRENT_REQUESTS: "1",
      QUEUE_MAX: "5",
      QUEUE_TIMEOUT_MS: "50",
    });
    const [a, b] = await Promise.all([post(svc, hi("slow")), post(svc, hi("slow"))]);
    expect([a.status, b.status].sort()).toEqual([200, 429]);
  });
});

describe("per-tenant rpm and tpm", () => {
  it("a tenant over its rpm gets 429 tenant_rate_limited with Retry-After; other tenants are not affected", async () => {
    const svc = await h.startRouter(CATALOGUE, { TENANT_LIMITS: "acme:2:,*:100:" });
    expect((await post(svc, hi("large"))).status).toBe(200);
    expect((await post(svc, hi("large"))).status).toBe(200);
    const third = await post(svc, hi("large"));
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(((await third.json()) as any).error.code).toBe("tenant_rate_limited");
    expect((await post(svc, hi("large"), {}, OTHER_TENANT_KEY)).status).toBe(200);
  });

  it("tpm counts the prompt (estimated before the call) plus the output it allows", async () => {
    const svc = await h.startRouter(CATALOGUE, { TENANT_LIMITS: "acme::100" });
    const seen = h.upstreams.fast.requests.length;
    const big = await post(svc, { ...hi("large", "word ".repeat(200)) });
    expect(big.status).toBe(429);
    expect(h.upstreams.fast.requests.length).toBe(seen);
    // The estimate is settled to the real usage afterwards, so small calls keep fitting.
    for (let i = 0; i < 3; i++)
      expect((await post(svc, { ...hi("large"), max_tokens: 10 })).status).toBe(200);
  });
});

describe("deployment limits and context windows", () => {
  it("a deployment at its rpm is skipped for the next one; when all are at their limit, 429 with Retry-After", async () => {
    const svc = await h.startRouter(CATALOGUE);
    const models: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(svc, hi("limited"));
      expect(r.status).toBe(200);
      models.push(((await r.json()) as any).model);
    }
    expect(models).toEqual(["capped", "capped", "spare"]);
    const r = await post(svc, hi("limited"));
    expect(r.status).toBe(429);
    expect(((await r.json()) as any).error.code).toBe("deployments_at_limit");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(1);
  });

  it("a prompt that does not fit a deployment's context window goes to a fallback group that fits", async () => {
    const svc = await h.startRouter(CATALOGUE);
    const short = await post(svc, hi("small"));
    expect(((await short.json()) as any).model).toBe("small-ctx");
    const long = await post(svc, hi("small", "many words in this prompt ".repeat(30)));
    expect(long.status).toBe(200);
    expect(((await long.json()) as any).model).toBe("large-ctx");
  });

  it("a prompt that fits nowhere is 400 context_length_exceeded, and nothing is called", async () => {
    const svc = await h.startRouter(CATALOGUE);
    const seen = h.upstreams.fast.requests.length;
    const r = await post(svc, hi("tiny", "many words in this prompt ".repeat(30)));
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).error.code).toBe("context_length_exceeded");
    expect(h.upstreams.fast.requests.length).toBe(seen);
  });
});

describe("bad input", () => {
  it("malformed JSON, missing messages, unknown model, oversize body, unknown key: clear errors, nothing crashes", async () => {
    const svc = await h.startRouter(CATALOGUE);
    const code = async (r: Response) => [r.status, ((await r.json()) as any).error?.code];
    expect(await code(await post(svc, "{oops"))).toEqual([400, "invalid_json"]);
    expect(await code(await post(svc, { model: "large" }))).toEqual([400, "invalid_request"]);
    expect(await code(await post(svc, hi("gpt-unknown")))).toEqual([404, "model_not_found"]);
    expect(await code(await post(svc, hi("large", "x".repeat(12 * 1024 * 1024))))).toEqual([
      413,
      "request_too_large",
    ]);
    expect(await code(await post(svc, hi("large"), {}, "sk-nobody"))).toEqual([401, "invalid_api_key"]);
    expect((await post(svc, hi("large"))).status).toBe(200);
  });
});
