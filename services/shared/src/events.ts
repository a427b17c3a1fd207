import { z } from "zod";

/**
 * The event topics of the platform. Defined here only: the services' contracts, the Kafka topics the
 * platform creates and the ACLs of each service's KafkaUser all read this table.
 */
export const TOPICS = {
  traces: "llm.traces",
  anomalies: "llm.anomalies",
  budgets: "llm.budgets",
} as const;
export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

const usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedInputTokens: z.number().int().nonnegative(),
  /** "estimated": the provider sent no usage (e.g. a stream cut part-way); the proxy counted what it forwarded. */
  source: z.enum(["provider", "estimated"]).optional(),
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
  /** A resolve repeats the subject with state "resolved"; absent means firing. */
  state: z.enum(["firing", "resolved"]).optional(),
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

/**
 * What the bus needs to know of each topic: the event schema, the partition key (events with the same
 * key keep their order) and the identity consumers deduplicate on.
 */
export const TOPIC_SPECS = {
  "llm.traces": {
    schema: traceEventSchema,
    key: (e: TraceEvent) => e.tenant,
    id: (e: TraceEvent) => e.id,
  },
  "llm.anomalies": {
    schema: anomalyEventSchema,
    key: (e: AnomalyEvent) => e.subject.provider,
    id: (e: AnomalyEvent) => e.id,
  },
  "llm.budgets": {
    schema: budgetEventSchema,
    key: (e: BudgetEvent) => e.tenant,
    // Budget events may come without an id: one crossing is one (tenant, period, threshold, time).
    id: (e: BudgetEvent) => e.id ?? `${e.tenant}|${e.period}|${e.threshold}|${e.at}`,
  },
} as const satisfies Record<TopicName, unknown>;

export type EventOf<T extends TopicName> = z.infer<(typeof TOPIC_SPECS)[T]["schema"]>;
