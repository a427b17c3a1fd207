import type { BudgetEvent } from "@llmops/shared";

/**
 * Budget caps from llm.budgets (published by cost-api on 80% / 100% crossings). The latest event per
 * tenant wins; a tenant is capped while its latest event says spent >= limit (or threshold >= 1) for the
 * current period (UTC day or month). Every proxy replica reads the whole topic (a group per replica, in
 * the contract); events arrive validated by the bus.
 */
export class BudgetGuard {
  private state = new Map<string, BudgetEvent>();

  apply(e: BudgetEvent): void {
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
}
