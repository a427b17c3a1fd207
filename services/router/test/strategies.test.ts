/** The latency and least-busy strategies' choices, against a fast and a slow upstream. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, startHarness } from "./harness.ts";

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
