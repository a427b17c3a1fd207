import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@llmops/shared";
import type { AnomalyEvent, TraceEvent } from "@llmops/shared/events";
import { costOf, type Price, PriceBook } from "@llmops/shared/pricing";
import { describe, expect, it } from "vitest";
import { computeStats, quantile } from "../src/detect/baseline.ts";
import { DEFAULT_CONFIG, loadDetectorConfig, parseDetectorConfig } from "../src/detect/config.ts";
import { createDetectors, type Detector } from "../src/detect/detectors.ts";
import { Engine, isProviderFailure } from "../src/detect/engine.ts";
import { approximateCost, bookPricer } from "../src/detect/pricer.ts";
import { Series } from "../src/detect/series.ts";
import { MIN, stream, T0, trace } from "./events.ts";

const run = (engine: Engine, events: TraceEvent[]) => events.flatMap((e) => engine.ingest(e));
const only = (out: AnomalyEvent[], metric: string) => out.filter((a) => a.metric === metric);

/** 40 minutes of normal traffic, then `incident`, then normal traffic again. */
function scenario(incident: Omit<Parameters<typeof stream>[0], "from">, after = 30) {
  const normal = stream({ from: T0, seconds: 40 * 60 });
  const start = T0 + 40 * MIN;
  const bad = stream({ ...incident, from: start });
  const recovery = stream({ from: start + incident.seconds * 1000, seconds: after * 60 });
  return { events: [...normal, ...bad, ...recovery], start, end: start + incident.seconds * 1000 };
}

describe("detector config", () => {
  it("defaults suit heavy-tailed latency: log scale, robust ensemble, buckets with a request floor", () => {
    const m = DEFAULT_CONFIG.metrics.latency;
    expect(m.transform).toBe("log");
    expect(m.aggregate).toBe("geomean");
    expect(m.ensemble.detectors).toContain("mad");
    expect(m.baseline).toMatchObject({ window: 1000, minSamples: 10, refreshSeconds: 60 });
    expect(DEFAULT_CONFIG.metrics.error_rate).toMatchObject({ aggregate: "rate", minRequests: 20 });
  });

  it("a metric overrides the global sections field by field", () => {
    const c = parseDetectorConfig({
      detectors: { mad: { threshold: 4 } },
      metrics: { ttft: { detectors: { mad: { threshold: 5 } }, ensemble: { detectors: ["iqr"] } } },
    });
    expect(c.metrics.latency.detectors.mad.threshold).toBe(4);
    expect(c.metrics.ttft.detectors.mad.threshold).toBe(5);
    expect(c.metrics.ttft.ensemble).toEqual({ detectors: ["iqr"], minVotes: 1 });
  });

  it("a bad file is one ConfigError naming every problem by path", () => {
    const dir = mkdtempSync(join(tmpdir(), "sentinel-config-"));
    const file = join(dir, "sentinel.yaml");
    writeFileSync(
      file,
      "baseline:\n  window: 2\nensemble:\n  detectors: [mad, prophet]\nmetrics:\n  latency:\n    bucketSeconds: -1\n  qps: {}\n",
    );
    let err: unknown;
    try {
      loadDetectorConfig(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems.join("\n");
    expect(text).toContain("baseline.window");
    expect(text).toContain("ensemble.detectors.1");
    expect(text).toContain("qps");
    expect(() => loadDetectorConfig(join(dir, "missing.yaml"))).toThrow(/cannot read/);
    writeFileSync(join(dir, "bad.json"), "{");
    expect(() => loadDetectorConfig(join(dir, "bad.json"))).toThrow(/not valid JSON/);
  });

  it("refuses an ensemble that can never reach its vote", () => {
    expect(() => parseDetectorConfig({ ensemble: { detectors: ["mad"], minVotes: 2 } })).toThrow(/minVotes/);
  });
});

describe("baseline statistics", () => {
  it("selection gives the same quantiles as sorting", () => {
    for (const n of [1, 2, 3, 10, 999, 1000]) {
      const values = Array.from({ length: n }, (_, i) => Math.round(Math.abs(Math.sin(i)) * 50));
      const counts = Array.from({ length: n }, (_, i) => 1 + (i % 7));
      const s = computeStats(values, counts, 5, 1);
      const sorted = [...values].sort((a, b) => a - b);
      const median = quantile(sorted, 0.5);
      const r = values.map((x, i) => (x - median) * Math.sqrt(counts[i]! / 5)).sort((a, b) => a - b);
      expect(s.median).toBeCloseTo(median, 9);
      expect(s.q1).toBeCloseTo(quantile(r, 0.25), 9);
      expect(s.q3).toBeCloseTo(quantile(r, 0.75), 9);
    }
  });
});

describe("detection on event time", () => {
  it("a latency spike fires once, with the subject, and resolves after the metric recovers", () => {
    const { events, start, end } = scenario({ seconds: 5 * 60, latencyMs: () => 3000 });
    const out = only(run(new Engine(DEFAULT_CONFIG), events), "latency");
    expect(out.map((a) => a.state)).toEqual(["firing", "resolved"]);
    const [fired, resolved] = out as [AnomalyEvent, AnomalyEvent];
    expect(fired.subject).toEqual({ provider: "openai", model: "gpt-4o-mini" });
    expect(fired.severity).toBe("critical");
    expect(fired.value).toBeGreaterThan(2000);
    expect(fired.baseline).toBeGreaterThan(600);
    expect(fired.baseline).toBeLessThan(1000);
    expect(Date.parse(fired.detectedAt) - start).toBeLessThan(60_000);
    // Resolved only after clearSeconds of normal observations past the end.
    expect(Date.parse(resolved.detectedAt) - end).toBeGreaterThanOrEqual(300_000);
    expect(resolved).toMatchObject({ detector: fired.detector, metric: "latency", subject: fired.subject });
  });

  it("does not fire during warm-up, whatever the first calls look like", () => {
    const wild = stream({ from: T0, seconds: 4 * 60, latencyMs: (t) => ((t / 10_000) % 2 < 1 ? 300 : 9000) });
    expect(run(new Engine(DEFAULT_CONFIG), wild)).toEqual([]);
  });

  it("a flapping metric stays one alert: it resolves only after it has been calm for clearSeconds", () => {
    const normal = stream({ from: T0, seconds: 40 * 60 });
    // Two minutes bad, two minutes good, for twenty minutes.
    const flapping = stream({
      from: T0 + 40 * MIN,
      seconds: 20 * 60,
      latencyMs: (t) => (Math.floor((t - T0) / (2 * MIN)) % 2 === 0 ? 4000 : 800),
    });
    const calm = stream({ from: T0 + 60 * MIN, seconds: 20 * 60 });
    const out = only(run(new Engine(DEFAULT_CONFIG), [...normal, ...flapping, ...calm]), "latency");
    expect(out.filter((a) => a.state === "firing")).toHaveLength(1);
    expect(out.at(-1)?.state).toBe("resolved");
  });

  it("error rate: three failures out of three calls at night is not an outage", () => {
    const day = stream({ from: T0, seconds: 40 * 60, failed: (_t, i) => i % 200 === 0 });
    const night = [0, 1, 2].map((i) =>
      trace(T0 + 40 * MIN + i * 20_000, { status: 503, errorType: "upstream_error", ttftMs: null }),
    );
    const quiet = stream({ from: T0 + 45 * MIN, seconds: 10 * 60, rps: 0.01 });
    expect(only(run(new Engine(DEFAULT_CONFIG), [...day, ...night, ...quiet]), "error_rate")).toEqual([]);
  });

  it("error rate: a burst at volume fires critical, and callers' own errors never count", () => {
    expect(isProviderFailure(trace(0, { status: 400, errorType: "upstream_error" }))).toBe(false);
    expect(isProviderFailure(trace(0, { status: 429, errorType: "budget_exceeded" }))).toBe(false);
    expect(isProviderFailure(trace(0, { status: 499, errorType: "client_aborted" }))).toBe(false);
    expect(isProviderFailure(trace(0, { status: 429, errorType: "upstream_rate_limited" }))).toBe(true);
    expect(isProviderFailure(trace(0, { status: 504, errorType: "upstream_timeout" }))).toBe(true);
    const { events } = scenario({ seconds: 5 * 60, failed: (_t, i) => i % 3 === 0 });
    const fired = only(run(new Engine(DEFAULT_CONFIG), events), "error_rate").filter(
      (a) => a.state === "firing",
    );
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ severity: "critical", subject: { provider: "openai" } });
    expect(fired[0]!.value).toBeGreaterThan(0.2);
    const clientErrors = scenario({ seconds: 5 * 60, over: { status: 400, errorType: "upstream_error" } });
    expect(only(run(new Engine(DEFAULT_CONFIG), clientErrors.events), "error_rate")).toEqual([]);
  });

  it("keeps per-tenant series for tokens: one tenant's flood names the tenant", () => {
    const normal = stream({ from: T0, seconds: 40 * 60 });
    const others = stream({ from: T0 + 40 * MIN, seconds: 10 * 60, over: { tenant: "globex" } });
    const flood = stream({
      from: T0 + 40 * MIN + 100,
      seconds: 10 * 60,
      rps: 2,
      over: { tenant: "acme", usage: { inputTokens: 4000, outputTokens: 3000, cachedInputTokens: 0 } },
    });
    const merged = [...others, ...flood].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const out = only(run(new Engine(DEFAULT_CONFIG), [...normal, ...merged]), "tokens");
    const tenantAlert = out.find((a) => a.subject.tenant === "acme" && a.state === "firing");
    expect(tenantAlert).toBeDefined();
    // Token anomalies are capped at warning: not an outage the router should steer around.
    expect(tenantAlert!.severity).toBe("warning");
    expect(out.some((a) => a.subject.tenant === "globex")).toBe(false);
  });

  it("is deterministic: the same events give the same anomalies, ids included", () => {
    const { events } = scenario({ seconds: 5 * 60, latencyMs: () => 3000 });
    expect(run(new Engine(DEFAULT_CONFIG), events)).toEqual(run(new Engine(DEFAULT_CONFIG), events));
  });

  it("a snapshot restored into a new engine continues exactly where the old one was", () => {
    const { events } = scenario({ seconds: 5 * 60, latencyMs: () => 3000 });
    const cut = events.findIndex((e) => Date.parse(e.startedAt) >= T0 + 42 * MIN);
    const whole = new Engine(DEFAULT_CONFIG);
    const expected = run(whole, events.slice(0, cut)).length;
    const rest = run(whole, events.slice(cut));
    const before = new Engine(DEFAULT_CONFIG);
    expect(run(before, events.slice(0, cut))).toHaveLength(expected);
    const after = new Engine(DEFAULT_CONFIG);
    after.restore(JSON.parse(JSON.stringify(before.snapshot())));
    expect(run(after, events.slice(cut))).toEqual(rest);
    expect(rest.length).toBeGreaterThan(0);
  });

  it("a detector that throws is counted and skipped; the others still vote", () => {
    const errors: string[] = [];
    const broken: Detector = {
      name: "zscore",
      threshold: 1,
      update: () => {
        throw new Error("boom");
      },
      snapshot: () => [],
      restore: () => {},
    };
    const metric = DEFAULT_CONFIG.metrics.latency;
    const series = new Series(
      "k",
      { provider: "p", model: "m" },
      metric,
      {
        detectorError: (_m, d) => errors.push(d),
      },
      [broken, ...createDetectors({ ...metric, ensemble: { detectors: ["mad"], minVotes: 1 } })],
    );
    const { events } = scenario({ seconds: 5 * 60, latencyMs: () => 3000 });
    const out = events.map((e) => series.add(Date.parse(e.startedAt), e.latencyMs)).filter(Boolean);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(["zscore"]));
    expect(out.map((t) => t!.state)).toEqual(["firing", "resolved"]);
    expect(out[0]!.detector).toBe("mad");
  });

  it("a pricer that throws is a detection error of cost only", () => {
    const errors: string[] = [];
    const engine = new Engine(DEFAULT_CONFIG, {
      pricer: () => {
        throw new Error("no catalogue");
      },
      hooks: { detectorError: (m, d) => errors.push(`${m}/${d}`) },
    });
    const { events } = scenario({ seconds: 5 * 60, latencyMs: () => 3000 });
    expect(only(run(engine, events), "latency").length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(["cost/pricer"]));
  });
});

describe("cost per call", () => {
  const price: Price = {
    provider: "openai",
    model: "gpt-4o",
    inputPerMTok: "2.5",
    cachedInputPerMTok: "1.25",
    outputPerMTok: "10",
    effectiveFrom: "2026-01-01T00:00:00Z",
    tiers: [{ aboveInputTokens: 200_000, inputPerMTok: "5", cachedInputPerMTok: "2.5", outputPerMTok: "15" }],
  };

  it("is the catalogue's price (shared pricing module), as a double equal to the exact cost", () => {
    for (let i = 0; i < 500; i++) {
      const usage = {
        inputTokens: (i * 7919) % 400_000,
        cachedInputTokens: (i * 104_729) % 50_000,
        outputTokens: (i * 31) % 9000,
      };
      expect(approximateCost(usage, price)).toBeCloseTo(Number(costOf(usage, price)), 12);
    }
  });

  it("follows the price in force at the call's own time", () => {
    const book = new PriceBook([
      price,
      { ...price, inputPerMTok: "25", outputPerMTok: "100", effectiveFrom: "2026-03-01T00:00:00Z" },
    ]);
    const pricer = bookPricer(() => book);
    const usage = { inputTokens: 100_000, cachedInputTokens: 0, outputTokens: 0 };
    expect(
      pricer({ provider: "openai", model: "gpt-4o", at: Date.parse("2026-02-01T00:00:00Z"), usage }),
    ).toBeCloseTo(0.25, 12);
    expect(
      pricer({ provider: "openai", model: "gpt-4o", at: Date.parse("2026-03-02T00:00:00Z"), usage }),
    ).toBeCloseTo(2.5, 12);
    expect(pricer({ provider: "openai", model: "unknown", at: 0, usage })).toBeUndefined();
  });
});
