import { z } from "zod";

/** Topic names (DESIGN.md "Events"). */
export const TOPICS = {
  traces: "llm.traces",
  anomalies: "llm.anomalies",
  budgets: "llm.budgets",
} as const;

const usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative(),
});

/**
 * llm.traces v1 — one per proxied call. Key = tenant.
 * `attributes` carries the same facts under OpenTelemetry GenAI semantic-convention names
 * (gen_ai.provider.name, gen_ai.request.model, gen_ai.usage.input_tokens, ...) for OTel-aware consumers.
 */
export const traceEventSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  traceId: z.string().min(1),
  tenant: z.string().min(1),
  provider: z.string().min(1),
  model: z.string().nullable(),
  operation: z.string(),
  stream: z.boolean(),
  startedAt: z.string(),
  latencyMs: z.number().nonnegative(),
  ttftMs: z.number().nonnegative().nullable(),
  status: z.number().int(),
  errorType: z.string().nullable(),
  usage,
  securityFlags: z.array(z.string()),
  securityScore: z.number().min(0).max(1),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])),
});
export type TraceEvent = z.infer<typeof traceEventSchema>;

/** llm.anomalies v1 — key = provider. */
export const anomalyEventSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  detector: z.string(),
  metric: z.string(),
  subject: z.object({ provider: z.string(), model: z.string(), tenant: z.string().optional() }),
  value: z.number(),
  baseline: z.number(),
  score: z.number(),
  severity: z.enum(["info", "warning", "critical"]),
  detectedAt: z.string(),
});
export type AnomalyEvent = z.infer<typeof anomalyEventSchema>;

/** llm.budgets v1 — key = tenant. threshold is the crossed fraction (0.8, 1.0). */
export const budgetEventSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1).optional(),
  tenant: z.string().min(1),
  period: z.enum(["day", "month"]),
  limitUsd: z.number().nonnegative(),
  spentUsd: z.number().nonnegative(),
  threshold: z.number().nonnegative(),
  at: z.string(),
});
export type BudgetEvent = z.infer<typeof budgetEventSchema>;
