import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../src/detect/config.ts";
import { evaluate, standardCandidates } from "../src/eval/evaluate.ts";
import { INCIDENT_KINDS, simulate } from "../src/eval/generator.ts";

// One simulated day at half the nominal traffic, twelve labelled incidents (two of each kind but one),
// per fixed seed. The figures below are floors with a margin under what the default ensemble scores.
const RUN = { days: 1, scale: 0.5, incidentsPerDay: 12 };

describe("the generator", () => {
  it("is reproducible and labels every kind of incident", () => {
    const a = simulate({ seed: 5, days: 0.05 });
    const b = simulate({ seed: 5, days: 0.05 });
    expect([...a.events()]).toEqual([...b.events()]);
    const kinds = new Set(simulate({ seed: 1, ...RUN }).incidents.map((i) => i.kind));
    expect(kinds).toEqual(new Set(INCIDENT_KINDS));
  });

  it("has a heavy latency tail and a diurnal load", () => {
    const events = [...simulate({ seed: 3, days: 1, scale: 0.2, incidentsPerDay: 0 }).events()];
    const ok = events
      .filter((e) => e.status === 200)
      .map((e) => e.latencyMs)
      .sort((x, y) => x - y);
    const q = (p: number) => ok[Math.floor(p * ok.length)]!;
    expect(q(0.999) / q(0.5)).toBeGreaterThan(5);
    const byHour = new Array(24).fill(0);
    for (const e of events) byHour[new Date(e.startedAt).getUTCHours()]++;
    expect(byHour[16] / byHour[4]).toBeGreaterThan(3);
    expect(new Set(events.map((e) => `${e.provider}/${e.model}`)).size).toBeGreaterThanOrEqual(4);
  });
});

describe.each([1, 2])("detection figures on seed %i", (seed) => {
  const zscore = standardCandidates().find((c) => c.name === "zscore")!;
  const ev = evaluate({ seed, ...RUN }, [{ name: "default", config: DEFAULT_CONFIG }, zscore]);
  const [def, z] = ev.results.map((r) => r.score) as [
    (typeof ev.results)[0]["score"],
    (typeof ev.results)[0]["score"],
  ];

  it("the default ensemble finds at least 80% of incidents with at least 75% of its alerts true", () => {
    expect(def.recall).toBeGreaterThanOrEqual(0.8);
    expect(def.precision).toBeGreaterThanOrEqual(0.75);
  });

  it("it never raises a false critical alert (what pages and what the router steers on)", () => {
    expect(def.criticalFalseAlarmsPerDay).toBe(0);
    expect(def.falseAlarmsPerDay).toBeLessThanOrEqual(10);
  });

  it("latency spikes are caught, within five minutes on average", () => {
    expect(def.byKind.latency_spike?.detected).toBe(def.byKind.latency_spike?.incidents);
    expect(def.byKind.latency_spike?.meanDelaySeconds).toBeLessThanOrEqual(300);
  });

  it("CUSUM in the ensemble catches drifts sooner than a z-score alone", () => {
    expect(def.recall).toBeGreaterThanOrEqual(z.recall);
    expect(def.meanDelaySeconds!).toBeLessThan(z.meanDelaySeconds!);
    expect(def.byKind.cost_drift?.meanDelaySeconds ?? Infinity).toBeLessThan(
      z.byKind.cost_drift?.meanDelaySeconds ?? Infinity,
    );
  });
});
