/**
 * The router under failure, end to end (OpenAI SDK -> router -> real trace proxy -> demo upstreams):
 * the breaker's half-open probe, the last resort when everything is open, Retry-After against the
 * deadline, the caller's deadline, and the sentinel's anomalies steering every replica alike.
 */
import type { AnomalyEvent } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post, type RouterService, startHarness, TENANT_KEY } from "./harness.ts";

const CATALOGUE = `
models:
  - name: pair
    deployments:
      - { provider: primary, model: model-a, weight: 1 }
      - { provider: secondary, model: model-b, weight: 1 }
  - name: ordered
    strategy: fallback
    deployments:
      - { provider: primary, model: model-a, priority: 0 }
      - { provider: secondary, model: model-b, priority: 1 }
  - name: solo
    deployments:
      - { provider: primary, model: model-solo }
  - name: roomy
    deployments:
      - { provider: primary, model: model-roomy }
      - { provider: secondary, model: model-tiny, contextWindow: 16 }
`;

let h: Awaited<ReturnType<typeof startHarness<"primary" | "secondary">>>;
beforeAll(async () => {
  h = await startHarness({ primary: {}, secondary: {} });
});
afterAll(() => h?.close());

const ask = (svc: RouterService, model: string) =>
  post(svc, { model, messages: [{ role: "user", content: "hi" }] });
const breaker = (svc: RouterService, group: string, provider: string) =>
  svc.api.balancer.of(svc.api.catalogue.resolve(group)!.deployments.find((d) => d.provider === provider)!)
    .breaker;

describe("the circuit breaker, end to end", () => {
  it("after its cooldown one probe goes through; its success closes the breaker", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE, { COOLDOWN_MS: "300" });
    h.upstreams.primary.setMode("error500");
    for (let i = 0; i < 2; i++) expect((await ask(svc, "ordered")).status).toBe(200);
    expect(breaker(svc, "ordered", "primary").state).toBe("open");
    h.heal();
    expect((await ask(svc, "ordered")).headers.get("x-llm-provider")).toBe("secondary");
    await new Promise((r) => setTimeout(r, 350));
    expect(breaker(svc, "ordered", "primary").tick()).toBe("half-open");
    const probe = await ask(svc, "ordered");
    expect(probe.headers.get("x-llm-provider")).toBe("primary");
    expect(breaker(svc, "ordered", "primary").state).toBe("closed");
  });

  it("when every deployment is open, the least recently failed is still tried: never an instant outage", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE);
    h.upstreams.primary.setMode("error500");
    for (let i = 0; i < 2; i++) expect((await ask(svc, "solo")).status).toBe(500);
    expect(breaker(svc, "solo", "primary").state).toBe("open");
    h.heal();
    const res = await ask(svc, "solo");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-llm-provider")).toBe("primary");
    expect(breaker(svc, "solo", "primary").state).toBe("closed");
  });

  it("a deployment whose Retry-After outlasts the deadline is not called; the caller gets 503 with Retry-After", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE, { REQUEST_TIMEOUT_MS: "1000" });
    h.upstreams.primary.setMode("error429"); // Retry-After: 2
    expect((await ask(svc, "solo")).status).toBe(429);
    const seen = h.upstreams.primary.requests.length;
    const res = await ask(svc, "solo");
    expect(res.status).toBe(503);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as any).error.code).toBe("all_deployments_paused");
    expect(h.upstreams.primary.requests.length).toBe(seen);
  });

  it("Retry-After of all_deployments_paused is the pause's end, not a deployment that never paused", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE, { REQUEST_TIMEOUT_MS: "1000" });
    // Too long for model-tiny's window: only the primary can take it, and it asks for 2 s.
    const long = { model: "roomy", messages: [{ role: "user", content: "word ".repeat(40) }] };
    h.upstreams.primary.setMode("error429");
    expect((await post(svc, long)).status).toBe(429);
    const res = await post(svc, long);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("2");
  });

  it("a pause that ends before the deadline is waited out, then the deployment is called", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE, { REQUEST_TIMEOUT_MS: "5000" });
    h.upstreams.primary.setMode("error429");
    await ask(svc, "solo");
    h.heal();
    const t0 = Date.now();
    const res = await ask(svc, "solo");
    expect(res.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThan(1000);
  });

  it("the caller's deadline ends the call with 504 and never counts against the deployment", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE, { REQUEST_TIMEOUT_MS: "400" });
    h.upstreams.primary.setMode("hang");
    const res = await ask(svc, "solo");
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.code).toBe("upstream_timeout");
    expect(breaker(svc, "solo", "primary").window().failures).toBe(0);
    h.heal();
  });
});

function anomaly(over: Partial<AnomalyEvent>): AnomalyEvent {
  return {
    v: 1,
    id: `anomaly-${Math.random()}`,
    detector: "ensemble",
    metric: "latency",
    subject: { provider: "primary", model: "model-a" },
    value: 5000,
    baseline: 200,
    score: 8,
    severity: "critical",
    detectedAt: new Date().toISOString(),
    state: "firing",
    ...over,
  };
}

async function shares(svc: RouterService, n: number) {
  const before = { p: h.upstreams.primary.requests.length, s: h.upstreams.secondary.requests.length };
  await Promise.all(Array.from({ length: n }, () => ask(svc, "pair").then((r) => r.arrayBuffer())));
  return {
    primary: h.upstreams.primary.requests.length - before.p,
    secondary: h.upstreams.secondary.requests.length - before.s,
  };
}

describe("the anomaly loop: llm.anomalies steer every replica", () => {
  it("a critical anomaly cools the deployment down on every replica; a resolve brings it back", async () => {
    h.heal();
    const replicas = [
      await h.startRouter(CATALOGUE, { ANOMALY_RECOVERY_MS: "0" }),
      await h.startRouter(CATALOGUE, { ANOMALY_RECOVERY_MS: "0" }),
    ];
    const firing = anomaly({});
    await h.bus.publish("llm.anomalies", "primary", firing);
    for (const svc of replicas) {
      const view = await (
        await fetch(`${svc.url}/api/v1/providers`, { headers: { authorization: `Bearer ${TENANT_KEY}` } })
      ).json();
      expect(
        (view as any).data.find((d: any) => d.model === "pair" && d.provider === "primary"),
      ).toMatchObject({
        state: "cooldown",
        effectiveWeight: 0,
        reason: "anomaly: ensemble latency (critical)",
      });
      expect((await shares(svc, 20)).primary).toBe(0);
    }
    await h.bus.publish("llm.anomalies", "primary", { ...firing, id: `${firing.id}-r`, state: "resolved" });
    for (const svc of replicas) expect((await shares(svc, 40)).primary).toBeGreaterThan(5);
  });

  it("a warning down-weights: the share drops to about a quarter of the weight's", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE);
    await h.bus.publish("llm.anomalies", "primary", anomaly({ severity: "warning", metric: "ttft" }));
    // Weights 1:1 with primary at 0.25: expected share 0.25 / 1.25 = 0.2.
    const { primary, secondary } = await shares(svc, 200);
    expect(primary + secondary).toBe(200);
    expect(primary / 200).toBeGreaterThan(0.12);
    expect(primary / 200).toBeLessThan(0.3);
  });

  it("when every deployment of a group is cooled down, traffic still flows (the floor)", async () => {
    h.heal();
    const svc = await h.startRouter(CATALOGUE);
    await h.bus.publish(
      "llm.anomalies",
      "primary",
      anomaly({ subject: { provider: "primary", model: "model-solo" } }),
    );
    const res = await ask(svc, "solo");
    expect(res.status).toBe(200);
  });
});
