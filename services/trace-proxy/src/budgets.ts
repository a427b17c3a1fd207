import {
  type BudgetEvent,
  budgetEventSchema,
  type EventBus,
  type Logger,
  type Subscription,
  TOPICS,
} from "@llmops/shared";

/**
 * Budget caps from llm.budgets (published by cost-api on 80% / 100% crossings). The latest event per
 * tenant wins; a tenant is capped while its latest event says spent >= limit (or threshold >= 1) for the
 * current period (UTC day or month). Every proxy replica reads the whole topic (own consumer group).
 */
export class BudgetGuard {
  private state = new Map<string, BudgetEvent>();
  private sub: Subscription | null = null;

  constructor(private readonly logger?: Logger) {}

  async start(bus: EventBus, groupPrefix: string, instanceId: string): Promise<void> {
    this.sub = await bus.subscribe({
      topic: TOPICS.budgets,
      groupId: `${groupPrefix}-budgets-${instanceId}`,
      fromBeginning: true,
      handler: (value) => this.apply(value),
    });
  }

  apply(value: unknown): void {
    const parsed = budgetEventSchema.safeParse(value);
    if (!parsed.success) {
      this.logger?.warn({ issues: parsed.error.issues.length }, "ignoring invalid llm.budgets event");
      return;
    }
    const e = parsed.data;
    const prev = this.state.get(e.tenant);
    if (prev && Date.parse(prev.at) > Date.parse(e.at)) return;
    this.state.set(e.tenant, e);
  }

  /** Returns the event that caps this tenant now, or null. */
  exceeded(tenant: string, now = new Date()): BudgetEvent | null {
    const e = this.state.get(tenant);
    if (!e) return null;
    const over = e.threshold >= 1 || e.spentUsd >= e.limitUsd;
    if (!over) return null;
    const at = new Date(e.at);
    const sameDay = at.toISOString().slice(0, 10) === now.toISOString().slice(0, 10);
    const sameMonth = at.toISOString().slice(0, 7) === now.toISOString().slice(0, 7);
    return (e.period === "day" ? sameDay : sameMonth) ? e : null;
  }

  async close(): Promise<void> {
    await this.sub?.close();
  }
}
