/** How the sentinel's anomalies move a deployment's share, on a fake clock. */
import type { AnomalyEvent } from "@llmops/shared";
import { describe, expect, it } from "vitest";
import { Steering } from "../src/steering.ts";

const T0 = Date.parse("2026-12-01T12:00:00Z");

function steering() {
  const clock = { t: T0 };
  return { s: new Steering({ ttlMs: 600_000, recoveryMs: 60_000 }, () => clock.t), clock };
}

function anomaly(over: Partial<AnomalyEvent> = {}, at = T0): AnomalyEvent {
  return {
    v: 1,
    id: `a-${Math.random()}`,
    detector: "zscore",
    metric: "latency",
    subject: { provider: "openai", model: "gpt-4o" },
    value: 9000,
    baseline: 800,
    score: 6,
    severity: "warning",
    detectedAt: new Date(at).toISOString(),
    ...over,
  };
}

describe("anomaly steering", () => {
  it("a warning keeps a quarter of the share, a critical one cools the deployment down", () => {
    const { s } = steering();
    s.apply(anomaly());
    expect(s.penalty("openai", "gpt-4o")).toMatchObject({
      factor: 0.25,
      reason: "anomaly: zscore latency (warning)",
    });
    s.apply(anomaly({ metric: "error_rate", severity: "critical" }));
    expect(s.penalty("openai", "gpt-4o").factor).toBe(0);
    expect(s.penalty("openai", "gpt-4o-mini").factor).toBe(1);
    expect(s.penalty("azure", "gpt-4o").factor).toBe(1);
  });

  it("hysteresis: a milder repeat of a firing anomaly does not ease it", () => {
    const { s } = steering();
    s.apply(anomaly({ severity: "critical" }));
    s.apply(anomaly({ severity: "warning" }));
    expect(s.penalty("openai", "gpt-4o").factor).toBe(0);
  });

  it("a resolve ramps the share back over the recovery time instead of snapping back", () => {
    const { s, clock } = steering();
    s.apply(anomaly({ severity: "critical" }));
    clock.t += 5_000;
    s.apply(anomaly({ state: "resolved", severity: "critical" }));
    expect(s.penalty("openai", "gpt-4o").factor).toBe(0);
    clock.t += 30_000;
    expect(s.penalty("openai", "gpt-4o").factor).toBeCloseTo(0.5, 5);
    clock.t += 30_000;
    expect(s.penalty("openai", "gpt-4o")).toMatchObject({ factor: 1, reason: null });
  });

  it("without a resolve the anomaly expires after its TTL (from detection) and recovers", () => {
    const { s, clock } = steering();
    s.apply(anomaly({ severity: "warning" }));
    clock.t += 600_000;
    expect(s.penalty("openai", "gpt-4o").factor).toBeCloseTo(0.25, 5);
    clock.t += 60_000;
    expect(s.penalty("openai", "gpt-4o").factor).toBe(1);
  });

  it("an anomaly already past its TTL (a replayed old event) changes nothing", () => {
    const { s } = steering();
    s.apply(anomaly({}, T0 - 700_000));
    expect(s.penalty("openai", "gpt-4o").factor).toBe(1);
    expect(s.applied.ignored).toBe(1);
  });

  it("one tenant's anomaly says nothing of the provider: not applied", () => {
    const { s } = steering();
    s.apply(
      anomaly({ subject: { provider: "openai", model: "gpt-4o", tenant: "acme" }, severity: "critical" }),
    );
    expect(s.penalty("openai", "gpt-4o").factor).toBe(1);
  });

  it("the worst of several firing anomalies counts; resolving one leaves the other", () => {
    const { s } = steering();
    s.apply(anomaly({ metric: "latency", severity: "critical" }));
    s.apply(anomaly({ metric: "ttft", severity: "warning" }));
    s.apply(anomaly({ metric: "latency", state: "resolved" }));
    expect(s.penalty("openai", "gpt-4o").factor).toBe(0.25);
  });
});
