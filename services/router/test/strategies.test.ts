/** The latency, least-busy and cost strategies' choices, against a fast and a slow upstream. */
import { createLogger, loadServiceConfig, startService } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefinition } from "../../services.ts";
import router from "../src/service.ts";
import { ADMIN_KEY, post, startHarness, TENANT_KEY } from "./harness.ts";

const CATALOGUE = `
models:
  - name: quick
    strategy: latency
    deployments:
      - { provider: fast, model: m-fast }
      - { provider: slow, model: m-slow }
  - name: spread
    strategy: least-busy
    deployments:
      - { provider: slow, model: m-one, weight: 9 }
      - { provider: slow, model: m-two, weight: 1 }
`;

const COST_CATALOGUE = `
models:
  - name: cheap
    strategy: cost
    deployments:
      - { provider: fast, model: m-fast }
      - { provider: slow, model: m-slow }
`;

let h: Awaited<ReturnType<typeof startHarness<"fast" | "slow">>>;
beforeAll(async () => {
  h = await startHarness({ fast: {}, slow: { latencyMs: 80 } });
});
afterAll(() => h?.close());

const hi = (model: string) => ({ model, messages: [{ role: "user", content: "hi" }] });
const answeredBy = async (r: Response) => ((await r.json()) as { model: string }).model;

describe("strategies", () => {
  it("latency: once both are measured, the faster deployment takes the calls", async () => {
    const svc = await h.startRouter(CATALOGUE);
    // Unmeasured deployments count as fastest, so the first calls measure both.
    for (let i = 0; i < 4; i++) await (await post(svc, hi("quick"))).arrayBuffer();
    const models: string[] = [];
    for (let i = 0; i < 20; i++) models.push(await answeredBy(await post(svc, hi("quick"))));
    expect(models.filter((m) => m === "m-fast").length).toBe(20);
    const view = svc.api.balancer.of(svc.api.catalogue.resolve("quick")!.deployments[1]!);
    expect(view.latencyMs).toBeGreaterThan(60);
  });

  it("least-busy: concurrent calls spread by in-flight count, whatever the weights", async () => {
    const svc = await h.startRouter(CATALOGUE);
    const models = await Promise.all(
      Array.from({ length: 10 }, async () => answeredBy(await post(svc, hi("spread")))),
    );
    // Each call outlasts the arrivals (80 ms upstream), so every pick sees the others in flight.
    const one = models.filter((m) => m === "m-one").length;
    expect(Math.abs(one - (10 - one))).toBeLessThanOrEqual(2);
  });
});

describe("the cost strategy, on the cost API's prices", () => {
  it("sends calls to the cheapest deployment at the cost API's current prices, and follows a price change", async () => {
    const costApi = await startService(await loadDefinition("cost-api"), {
      env: {
        PORT: "0",
        HOST: "127.0.0.1",
        DATA_DIR: "memory",
        LOG_LEVEL: "silent",
        ADMIN_API_KEYS: ADMIN_KEY,
        API_KEYS: `${TENANT_KEY}:acme`,
      },
      bus: h.bus,
      logger: createLogger("cost-api", "silent"),
    });
    const price = (provider: string, model: string, perMTok: string) =>
      fetch(`${costApi.url}/api/v1/prices`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          provider,
          model,
          inputPerMTok: perMTok,
          cachedInputPerMTok: perMTok,
          outputPerMTok: perMTok,
          effectiveFrom: "2020-01-01T00:00:00Z",
        }),
      });
    try {
      expect((await price("fast", "m-fast", "5")).status).toBeLessThan(300);
      expect((await price("slow", "m-slow", "0.5")).status).toBeLessThan(300);
      const svc = await h.startRouter(COST_CATALOGUE, { COST_API_URL: costApi.url });
      const models: string[] = [];
      for (let i = 0; i < 6; i++) models.push(await answeredBy(await post(svc, hi("cheap"))));
      expect(new Set(models)).toEqual(new Set(["m-slow"]));

      // A new price list: the fast one is now the cheaper. The router re-reads prices on its refresh.
      expect((await price("fast", "m-fast", "0.1")).status).toBeLessThan(300);
      await svc.api.prices!.refresh();
      expect(await answeredBy(await post(svc, hi("cheap")))).toBe("m-fast");
    } finally {
      await costApi.close();
    }
  });

  it("a catalogue that ranks by cost without COST_API_URL is one clear startup error", () => {
    expect(() => loadServiceConfig(router, h.routerEnv(COST_CATALOGUE))).toThrow(
      /COST_API_URL: required by strategy "cost" \(cheap\)/,
    );
  });
});
