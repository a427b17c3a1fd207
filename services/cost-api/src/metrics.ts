import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { COST_METRIC_NAMES as N } from "./metric-names.ts";

/** The cost API's metrics: the HTTP pair of the deployment guide, then llm_cost_ops_*. */
export function costMetrics(registry: Registry) {
  const registers = [registry];
  return {
    httpRequests: new Counter({
      name: N.httpRequests,
      help: "HTTP requests answered",
      // status_code: the label the apps layer's SLO and error-rate rules read (its HTTP_SLI)
      labelNames: ["method", "route", "status_code"],
      registers,
    }),
    httpDuration: new Histogram({
      name: N.httpDuration,
      help: "Time to answer an HTTP request",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    ingested: new Counter({
      name: N.ingested,
      help: "llm.traces events stored as usage (result=duplicate: already stored, skipped)",
      labelNames: ["result"],
      registers,
    }),
    cost: new Counter({
      name: N.cost,
      help: "Priced spend ingested, USD (a float view for dashboards; the API's figures are exact)",
      labelNames: ["tenant", "model"],
      registers,
    }),
    lag: new Histogram({
      name: N.ingestLag,
      help: "From the end of a call to its usage being stored",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    batch: new Histogram({
      name: N.ingestBatch,
      help: "Events per ingest statement",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    unpricedIngested: new Counter({
      name: N.unpricedIngested,
      help: "Calls with tokens stored without a price (their model is not in the catalogue)",
      labelNames: ["provider", "model"],
      registers,
    }),
    unpriced: new Gauge({
      name: N.unpriced,
      help: "Calls still waiting for a price (priced as soon as one arrives)",
      registers,
    }),
    repriced: new Counter({
      name: N.repriced,
      help: "Calls priced after the fact, when their model's price arrived",
      registers,
    }),
    budgetEvents: new Counter({
      name: N.budgetEvents,
      help: "llm.budgets events published, by threshold (0 = resolved)",
      labelNames: ["threshold"],
      registers,
    }),
    prices: new Gauge({ name: N.prices, help: "Prices in the catalogue", registers }),
  };
}
export type CostMetrics = ReturnType<typeof costMetrics>;

/** Counts every answered request by its route pattern (bounded labels). */
export function httpMetrics(app: FastifyInstance, m: CostMetrics): void {
  app.addHook("onResponse", (req, reply, done) => {
    const route = req.routeOptions.url ?? "unmatched";
    m.httpRequests.inc({ method: req.method, route, status_code: String(reply.statusCode) });
    m.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
