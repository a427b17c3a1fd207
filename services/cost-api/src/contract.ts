/** The cost API's contract: prices, usage, costs and budgets from the trace stream. */
import { defineContract, envs, TOPICS } from "@llmops/shared/contract";
import { z } from "zod";

export const contract = defineContract({
  name: "cost-api",
  description:
    "llm.traces -> priced usage in Postgres; /api/v1/costs, prices, budgets; llm.budgets on 80%/100%",
  port: 8082,
  env: {
    /** A price table in LiteLLM's model_prices_and_context_window.json format, imported at start. */
    PRICES_FILE: z.string().optional(),
    /** Most trace events written in one insert. */
    INGEST_BATCH_MAX: envs.int(1000, 1, 10_000),
    /** How often each replica reloads prices and prices usage that was unpriced. */
    REPRICE_INTERVAL_MS: envs.int(30_000, 100),
    /** How often budgets are re-evaluated without new usage (a new period resolves a crossing). */
    BUDGET_CHECK_INTERVAL_MS: envs.int(60_000, 100),
  },
  postgres: true,
  consumes: [{ topic: TOPICS.traces, group: "ingest" }],
  produces: [TOPICS.budgets],
  cluster: { INGEST_BATCH_MAX: "1000", REPRICE_INTERVAL_MS: "30000", BUDGET_CHECK_INTERVAL_MS: "60000" },
});
