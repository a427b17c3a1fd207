/**
 * The cost API's metric names, as plain data: the service registers them (metrics.ts) and the apps
 * layer's dashboard and alert rules query them, so a rename is one edit.
 */
export const COST_METRIC_NAMES = {
  httpRequests: "http_requests_total",
  httpDuration: "http_request_duration_seconds",
  /** llm.traces events stored as usage, by result (stored | duplicate). */
  ingested: "llm_cost_ops_events_ingested_total",
  /** Priced spend in USD, by tenant and model. */
  cost: "llm_cost_ops_cost_usd_total",
  /** Histogram: from the end of a call to its usage being stored. */
  ingestLag: "llm_cost_ops_ingest_lag_seconds",
  ingestBatch: "llm_cost_ops_ingest_batch_size",
  /** Calls stored without a price, by provider and model. */
  unpricedIngested: "llm_cost_ops_unpriced_requests_total",
  /** Gauge: calls still waiting for a price. */
  unpriced: "llm_cost_ops_unpriced_usage_requests",
  repriced: "llm_cost_ops_repriced_requests_total",
  /** llm.budgets events published, by threshold (0 = resolved). */
  budgetEvents: "llm_cost_ops_budget_events_total",
  prices: "llm_cost_ops_prices",
} as const;
