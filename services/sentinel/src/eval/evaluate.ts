/**
 * Runs detector configurations side by side over one simulated stream (one pass, one engine each) and
 * scores each: how the default ensemble was chosen, and what the evaluation tests hold it to.
 */
import type { AnomalyEvent } from "@llmops/shared/events";
import { PriceBook } from "@llmops/shared/pricing";
import { DETECTORS, type DetectorConfig, parseDetectorConfig } from "../detect/config.ts";
import { Engine } from "../detect/engine.ts";
import { bookPricer } from "../detect/pricer.ts";
import { DEPLOYMENTS, type GeneratorOptions, simulate } from "./generator.ts";
import { type Score, score } from "./scorer.ts";

/** The evaluation's catalogue: one price per simulated deployment. */
export const SIMULATION_PRICES = new PriceBook(
  DEPLOYMENTS.map((d) => ({
    provider: d.provider,
    model: d.model,
    inputPerMTok: String(d.prices[0]),
    cachedInputPerMTok: String(d.prices[0] / 2),
    outputPerMTok: String(d.prices[1]),
    effectiveFrom: "2020-01-01T00:00:00.000Z",
  })),
);

/** A configuration to compare: a name and the overrides of the default config. */
export interface Candidate {
  name: string;
  config: DetectorConfig;
}

/** Every detector alone, then the ensembles worth comparing. */
export function standardCandidates(base: Record<string, unknown> = {}): Candidate[] {
  const withEnsemble = (detectors: string[], minVotes: number) =>
    parseDetectorConfig({ ...base, ensemble: { detectors, minVotes } });
  return [
    ...DETECTORS.map((d) => ({ name: d, config: withEnsemble([d], 1) })),
    { name: "mad+cusum (any)", config: withEnsemble(["mad", "cusum"], 1) },
    { name: "mad+ewma (any)", config: withEnsemble(["mad", "ewma"], 1) },
    { name: "mad+iqr+cusum (2 of 3)", config: withEnsemble(["mad", "iqr", "cusum"], 2) },
    { name: "all five (2 of 5)", config: withEnsemble([...DETECTORS], 2) },
  ];
}

export interface Evaluation {
  events: number;
  days: number;
  incidents: number;
  results: Array<{ name: string; score: Score; anomalies: number }>;
}

export function evaluate(opts: GeneratorOptions, candidates: Candidate[]): Evaluation {
  const sim = simulate(opts);
  const pricer = bookPricer(() => SIMULATION_PRICES);
  const runs = candidates.map((c) => ({
    c,
    engine: new Engine(c.config, { pricer }),
    out: [] as AnomalyEvent[],
  }));
  let events = 0;
  for (const e of sim.events()) {
    events++;
    for (const r of runs) for (const a of r.engine.ingest(e)) r.out.push(a);
  }
  return {
    events,
    days: opts.days,
    incidents: sim.incidents.length,
    results: runs.map((r) => ({
      name: r.c.name,
      score: score(r.out, sim.incidents, opts.days),
      anomalies: r.out.length,
    })),
  };
}

/** Mean delay over the sudden incidents (everything but the two slow drifts). */
function spikeDelay(s: Score): string {
  const kinds = ["latency_spike", "error_burst", "ttft_regression", "token_flood"] as const;
  const ds = kinds.map((k) => s.byKind[k]?.meanDelaySeconds).filter((d): d is number => d != null);
  return ds.length ? String(Math.round(ds.reduce((a, b) => a + b, 0) / ds.length)) : "-";
}

/** The figures as a Markdown table (README, the evaluate command). */
export function table(ev: Evaluation): string {
  const rows = ev.results.map(
    ({ name, score: s }) =>
      `| ${name} | ${s.precision.toFixed(2)} | ${s.recall.toFixed(2)} | ${s.meanDelaySeconds === null ? "-" : Math.round(s.meanDelaySeconds)} | ${spikeDelay(s)} | ${s.falseAlarmsPerDay.toFixed(2)} | ${s.criticalFalseAlarmsPerDay.toFixed(2)} | ${s.alerts} |`,
  );
  return [
    `${ev.events} events, ${ev.days} simulated day(s), ${ev.incidents} incidents`,
    "",
    "| detectors | precision | recall | mean delay (s) | delay, sudden incidents (s) | false alarms / day | critical false alarms / day | alerts |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
