import type { BudgetEvent, Database, Logger } from "@llmops/shared";
import { compareMoney, formatDecimal, parseDecimal, scaleMoney, subtractMoney } from "@llmops/shared/pricing";
import { spentIn } from "./costs.ts";
import { type Period, periodBounds } from "./periods.ts";

export interface Budget {
  tenant: string;
  limitUsd: string;
  period: Period;
  updatedAt: string;
}

export interface BudgetStatus {
  tenant: string;
  period: Period;
  limitUsd: string;
  spentUsd: string;
  remainingUsd: string;
  periodStart: string;
  periodEnd: string;
  state: "ok" | "warning" | "exceeded";
  /** Calls of this period whose model has no price yet: spend is at least spentUsd. */
  unpricedRequests: number;
}

/** Levels announced on llm.budgets, and the fraction of the limit each one is crossed at. */
const LEVELS = [
  { state: "ok", threshold: 0 },
  { state: "warning", threshold: 0.8 },
  { state: "exceeded", threshold: 1 },
] as const;
type Level = 0 | 1 | 2;

function levelOf(spent: string, limit: string): Level {
  if (compareMoney(spent, limit) >= 0) return 2;
  if (compareMoney(spent, scaleMoney(limit, "0.8")) >= 0) return 1;
  return 0;
}

const norm = (s: string) => formatDecimal(parseDecimal(s)!);

/**
 * Budgets per tenant and the llm.budgets announcements. The last announced level per tenant lives in
 * cost_budget_state and is changed under a row lock, so of several replicas evaluating the same tenant
 * exactly one announces a crossing: once per period and limit for 80 % and for 100 %, and a resolve
 * (threshold 0, or 0.8 when still above it) when a new period starts or the limit is raised.
 */
export class Budgets {
  constructor(
    private readonly db: Database,
    private readonly publish: (e: BudgetEvent) => Promise<void>,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(tenant: string): Promise<Budget | undefined> {
    const r = await this.db.query(
      "select tenant, limit_usd::text, period, updated_at from cost_budgets where tenant = $1",
      [tenant],
    );
    const row = r.rows[0];
    return row
      ? {
          tenant: row.tenant,
          limitUsd: norm(row.limit_usd),
          period: row.period,
          updatedAt: row.updated_at.toISOString(),
        }
      : undefined;
  }

  async put(tenant: string, limitUsd: string, period: Period): Promise<Budget> {
    await this.db.query(
      `insert into cost_budgets (tenant, limit_usd, period, updated_at) values ($1, $2, $3, now())
       on conflict (tenant) do update set limit_usd = excluded.limit_usd, period = excluded.period,
                                          updated_at = excluded.updated_at`,
      [tenant, limitUsd, period],
    );
    await this.evaluate([tenant]);
    return (await this.get(tenant))!;
  }

  async status(tenant: string): Promise<BudgetStatus | undefined> {
    const b = await this.get(tenant);
    return b && this.statusOf(b);
  }

  private async statusOf(
    b: Budget,
    db: Pick<Database, "query"> = this.db,
  ): Promise<BudgetStatus & { level: Level }> {
    const { start, end } = periodBounds(b.period, this.now());
    const { spent, unpriced } = await spentIn(db, b.tenant, start, end);
    const level = levelOf(spent, b.limitUsd);
    const remaining = subtractMoney(b.limitUsd, spent);
    return {
      tenant: b.tenant,
      period: b.period,
      limitUsd: b.limitUsd,
      spentUsd: spent,
      remainingUsd: compareMoney(remaining, 0) < 0 ? "0" : remaining,
      periodStart: start.toISOString(),
      periodEnd: end.toISOString(),
      state: LEVELS[level].state,
      unpricedRequests: unpriced,
      level,
    };
  }

  /** Re-evaluates these tenants (those with a budget) and announces what changed. */
  async evaluate(tenants: Iterable<string>): Promise<void> {
    const list = [...new Set(tenants)];
    if (list.length === 0) return;
    const r = await this.db.query(
      "select tenant, limit_usd::text, period, updated_at from cost_budgets where tenant = any($1::text[])",
      [list],
    );
    for (const row of r.rows) {
      const b: Budget = {
        tenant: row.tenant,
        limitUsd: norm(row.limit_usd),
        period: row.period,
        updatedAt: row.updated_at.toISOString(),
      };
      const tenant = b.tenant;
      const events = await this.db.tx(async (c) => {
        // Read on the transaction's own connection (embedded PGlite serves one transaction at a time).
        const s = await this.statusOf(b, { query: (text, params) => c.query(text, params) });
        await c.query(
          `insert into cost_budget_state (tenant, period_start, limit_usd, level, at) values ($1, $2, $3, 0, now())
           on conflict (tenant) do nothing`,
          [tenant, s.periodStart, b.limitUsd],
        );
        const prev = (
          await c.query(
            "select period_start, limit_usd::text, level from cost_budget_state where tenant = $1 for update",
            [tenant],
          )
        ).rows[0];
        const samePeriod = prev.period_start.toISOString() === s.periodStart;
        const unchanged = samePeriod && compareMoney(prev.limit_usd, b.limitUsd) === 0;
        // What the proxies were last told for this period (a new period starts from ok).
        const base: Level = samePeriod ? prev.level : 0;
        const out: number[] = [];
        if (s.level > base) for (let l = base + 1; l <= s.level; l++) out.push(LEVELS[l]!.threshold);
        // Below what was announced, after a new period or limit: say where the tenant stands (a resolve).
        else if (!unchanged && s.level < prev.level) out.push(LEVELS[s.level].threshold);
        // Spend only grows within a period and limit: a crossing is never announced twice.
        const next: Level = unchanged ? (Math.max(prev.level, s.level) as Level) : s.level;
        await c.query(
          "update cost_budget_state set period_start = $2, limit_usd = $3, level = $4, at = now() where tenant = $1",
          [tenant, s.periodStart, b.limitUsd, next],
        );
        const at = this.now().toISOString();
        return out.map((threshold): BudgetEvent => ({
          v: 1,
          id: `${tenant}|${s.periodStart}|${b.limitUsd}|${threshold}|${at}`,
          tenant,
          period: b.period,
          limitUsd: Number(b.limitUsd),
          spentUsd: Number(s.spentUsd),
          threshold,
          at,
        }));
      });
      for (const e of events) {
        await this.publish(e);
        this.logger.info(
          { tenant, threshold: e.threshold, spentUsd: e.spentUsd, limitUsd: e.limitUsd },
          "budget event",
        );
      }
    }
  }

  /** Tenants that may need a resolve without new usage (their announced level is above ok). */
  async flaggedTenants(): Promise<string[]> {
    const r = await this.db.query<{ tenant: string }>("select tenant from cost_budget_state where level > 0");
    return r.rows.map((x) => x.tenant);
  }
}
