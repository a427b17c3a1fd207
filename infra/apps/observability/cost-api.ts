/**
 * The cost API's own panels and alerts: spend by tenant and model, unpriced usage, the ingest pipeline.
 * Metric names come from the service's metric-names module (what it registers), never retyped here.
 */
import { COST_METRIC_NAMES as M } from "../../../services/cost-api/src/metric-names.ts";
import { contract as traceProxy } from "../../../services/trace-proxy/src/contract.ts";
import type { Panel } from "./dashboard.ts";
import type { Rule } from "./rules.ts";

/**
 * The trace proxies count a finished call's cost themselves for BUDGET_INGEST_WINDOW_MS, trusting the
 * cost API's budget status to include it after that: an ingest lag beyond it loosens the budget bound.
 */
export const INGEST_LAG_ALERT_SECONDS = Number(traceProxy.cluster.BUDGET_INGEST_WINDOW_MS) / 1000;

export const costApiPanels = (job: string): Panel[] => [
  {
    title: "Spend by tenant (USD per hour)",
    unit: "currencyUSD",
    targets: [{ expr: `sum by (tenant) (rate(${M.cost}{${job}}[5m])) * 3600`, legend: "{{tenant}}" }],
  },
  {
    title: "Spend by model (USD per hour)",
    unit: "currencyUSD",
    targets: [{ expr: `sum by (model) (rate(${M.cost}{${job}}[5m])) * 3600`, legend: "{{model}}" }],
  },
  {
    title: "Unpriced usage (calls waiting for a price; new ones by model)",
    unit: "short",
    targets: [
      { expr: `max(${M.unpriced}{${job}})`, legend: "waiting for a price" },
      {
        expr: `sum by (provider, model) (increase(${M.unpricedIngested}{${job}}[1h]))`,
        legend: "new in 1h: {{provider}}/{{model}}",
      },
      { expr: `sum(increase(${M.repriced}{${job}}[1h]))`, legend: "priced later, 1h" },
    ],
  },
  {
    title: "Ingest: events stored / duplicates skipped",
    unit: "ops",
    targets: [{ expr: `sum by (result) (rate(${M.ingested}{${job}}[5m]))`, legend: "{{result}}" }],
  },
  {
    title: "Ingest lag (end of call to stored) and batch size",
    unit: "s",
    targets: [
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(${M.ingestLag}_bucket{${job}}[5m])))`,
        legend: "lag p95 (s)",
      },
      {
        expr: `histogram_quantile(0.5, sum by (le) (rate(${M.ingestLag}_bucket{${job}}[5m])))`,
        legend: "lag p50 (s)",
      },
      {
        expr: `sum(rate(${M.ingestBatch}_sum{${job}}[5m])) / clamp_min(sum(rate(${M.ingestBatch}_count{${job}}[5m])), 1e-9)`,
        legend: "events per batch",
      },
    ],
  },
  {
    title: "Budget crossings announced (llm.budgets, per hour)",
    unit: "short",
    targets: [
      {
        expr: `sum by (threshold) (increase(${M.budgetEvents}{${job}}[1h]))`,
        legend: "threshold {{threshold}}",
      },
    ],
  },
];

export const costApiAlerts = (job: string, labels: (severity: string) => Record<string, string>): Rule[] => [
  {
    alert: "CostApiUnpricedUsage",
    // Calls of a model without a price are never billed as free, but they are not billed at all until
    // an operator adds the price: a quarter of an hour of it is worth a ticket.
    expr: `max(${M.unpriced}{${job}}) > 0`,
    for: "15m",
    labels: labels("warning"),
    annotations: {
      summary: "Usage of models without a price",
      description: `Calls are waiting for a price (${M.unpricedIngested} names the provider and model). Add it with PUT /api/v1/prices or an import; the waiting usage is priced then.`,
    },
  },
  {
    alert: "CostApiIngestLagHigh",
    expr: `histogram_quantile(0.95, sum by (le) (rate(${M.ingestLag}_bucket{${job}}[5m]))) > ${INGEST_LAG_ALERT_SECONDS}`,
    for: "10m",
    labels: labels("warning"),
    annotations: {
      summary: "The cost API is storing usage late",
      description: `The p95 from the end of a call to its usage being stored is above ${INGEST_LAG_ALERT_SECONDS}s, the window the trace proxies count unbilled costs for: budgets and costs lag, and a budget can be overshot by the spend of that lag.`,
    },
  },
];
