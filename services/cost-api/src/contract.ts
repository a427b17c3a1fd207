/** The cost API's contract: prices, usage and budgets from the trace stream. */
import { defineContract, TOPICS } from "@llmops/shared/contract";

export const contract = defineContract({
  name: "cost-api",
  description: "shell: /health, /ready and /metrics only (its routes are not built yet)",
  port: 8082,
  env: {},
  postgres: true,
  consumes: [{ topic: TOPICS.traces, group: "ingest" }],
  produces: [TOPICS.budgets],
});
