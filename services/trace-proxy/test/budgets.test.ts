import type { BudgetEvent } from "@llmops/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BudgetGuard } from "../src/budgets.ts";
import { chat, type Harness, harness, INSTANCE_ID, OTHER_KEY } from "./helpers.ts";

const event = (over: Partial<BudgetEvent>): BudgetEvent => ({
  v: 1,
  id: `b-${Math.random()}`,
  tenant: "acme",
  period: "day",
  limitUsd: 10,
  spentUsd: 10.5,
  threshold: 1,
  at: new Date().toISOString(),
  ...over,
});

describe("budget caps from llm.budgets", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses a tenant over its cap with 429 budget_exceeded, records the trace, leaves others alone", async () => {
    expect((await h.call("/v1/chat/completions", { method: "POST", json: chat() })).status).toBe(200);
    await h.bus.publish("llm.budgets", "acme", event({}));
    await expect
      .poll(async () => (await h.call("/v1/chat/completions", { method: "POST", json: chat() })).status)
      .toBe(429);
    const res = await h.call("/v1/chat/completions", { method: "POST", json: chat() });
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("budget_exceeded");
    expect(body.error.message).toContain('"acme"');
    expect(body.error.message).toContain("$10.00");
    const [t] = await h.traces(1);
    expect(t).toMatchObject({ tenant: "acme", status: 429, errorType: "budget_exceeded" });
    // another tenant is unaffected
    expect(
      (await h.call("/v1/chat/completions", { method: "POST", json: chat(), key: OTHER_KEY })).status,
    ).toBe(200);
  });

  it("dead-letters an invalid budget event with its reason; the caps stay as they were", async () => {
    await h.bus.publish("llm.budgets", "acme", { tenant: "acme", garbage: true });
    await expect
      .poll(async () =>
        (await h.proxy.bus.deadLetters(`trace-proxy-budgets-${INSTANCE_ID}`)).map((l) => l.reason),
      )
      .toEqual([expect.stringMatching(/^schema: v: /)]);
    expect((await h.call("/v1/chat/completions", { method: "POST", json: chat() })).status).toBe(429);
  });

  it("lets the tenant through again when a newer event lifts the cap (budget raised)", async () => {
    await h.bus.publish("llm.budgets", "acme", event({ limitUsd: 100, spentUsd: 10.5, threshold: 0.1 }));
    await expect
      .poll(async () => (await h.call("/v1/chat/completions", { method: "POST", json: chat() })).status)
      .toBe(200);
  });
});

describe("BudgetGuard", () => {
  it("keeps the latest event per tenant and ignores stale ones", () => {
    const g = new BudgetGuard();
    const now = new Date("2026-05-10T12:00:00Z");
    g.apply(event({ at: "2026-05-10T11:00:00Z" }));
    expect(g.exceeded("acme", now)).not.toBeNull();
    g.apply(event({ at: "2026-05-10T10:00:00Z", spentUsd: 1, threshold: 0.1 })); // older: ignored
    expect(g.exceeded("acme", now)).not.toBeNull();
    expect(g.exceeded("other", now)).toBeNull();
  });

  it("an over-cap event only caps its own period (yesterday's daily cap does not block today)", () => {
    const g = new BudgetGuard();
    g.apply(event({ at: "2026-05-09T23:00:00Z", period: "day" }));
    expect(g.exceeded("acme", new Date("2026-05-10T01:00:00Z"))).toBeNull();
    g.apply(event({ at: "2026-05-09T23:30:00Z", period: "month" }));
    expect(g.exceeded("acme", new Date("2026-05-10T01:00:00Z"))).not.toBeNull();
    expect(g.exceeded("acme", new Date("2026-06-01T00:00:01Z"))).toBeNull();
  });

  it("an 80% crossing warns but does not cap", () => {
    const g = new BudgetGuard();
    g.apply(event({ spentUsd: 8, threshold: 0.8 }));
    expect(g.exceeded("acme")).toBeNull();
  });
});
