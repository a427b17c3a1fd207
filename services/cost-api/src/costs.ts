import type { Database } from "@llmops/shared";
import { formatDecimal, parseDecimal } from "@llmops/shared/pricing";
import { ceilDay, ceilHour, floorDay, floorHour } from "./periods.ts";

export const GROUP_KEYS = ["tenant", "model", "provider", "day", "hour"] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

export interface CostQuery {
  groupBy: GroupKey[];
  from: Date;
  to: Date;
  tenant?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
}

export interface CostRow {
  tenant?: string;
  model?: string;
  provider?: string;
  day?: string;
  hour?: string;
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** Priced usage only; unpriced usage is counted in unpricedRequests, never as $0. */
  costUsd: string;
  unpricedRequests: number;
}

const KEY_SQL: Record<GroupKey, string> = {
  tenant: "tenant",
  model: "model",
  provider: "provider",
  day: `to_char(date_trunc('day', t, 'UTC') at time zone 'UTC', 'YYYY-MM-DD')`,
  hour: `to_char(t at time zone 'UTC', 'YYYY-MM-DD"T"HH24:00:00"Z"')`,
};

/**
 * Costs over [from, to), grouped. Whole days are read from the daily rollup (unless grouped by hour),
 * whole hours from the hourly rollup, the partial hours at either end from the usage rows, so the answer
 * is exact for any instant range and a month of a large tenant reads a few hundred rollup rows instead of
 * millions of calls.
 */
export async function queryCosts(db: Database, q: CostQuery): Promise<CostRow[]> {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const filters: string[] = [];
  if (q.tenant !== undefined) filters.push(`tenant = ${p(q.tenant)}`);
  if (q.provider !== undefined) filters.push(`provider = ${p(q.provider)}`);
  if (q.model !== undefined) filters.push(`model = ${p(q.model)}`);
  const where = (extra: string) => ["(" + extra + ")", ...filters].join(" and ");

  const parts: string[] = [];
  const raw = (a: Date, b: Date) =>
    parts.push(`select tenant, provider, model, date_trunc('hour', started_at, 'UTC') as t, 1::bigint as requests,
            input_tokens, cached_input_tokens, output_tokens, coalesce(cost_usd, 0) as cost_usd,
            (cost_usd is null)::int::bigint as unpriced_requests
       from cost_usage where ${where(`started_at >= ${p(a.toISOString())} and started_at < ${p(b.toISOString())}`)}`);
  const rollup = (table: string, col: string, a: Date, b: Date) =>
    parts.push(`select tenant, provider, model, ${col} as t, requests, input_tokens, cached_input_tokens,
              output_tokens, cost_usd, unpriced_requests
         from ${table}
        where ${where(`${col} >= ${p(a.toISOString())} and ${col} < ${p(b.toISOString())}`)}`);

  const fromHour = ceilHour(q.from);
  const toHour = floorHour(q.to);
  if (fromHour >= toHour) raw(q.from, q.to);
  else {
    if (q.from < fromHour) raw(q.from, fromHour);
    if (toHour < q.to) raw(toHour, q.to);
    const fromDay = ceilDay(fromHour);
    const toDay = floorDay(toHour);
    if (fromDay < toDay && !q.groupBy.includes("hour")) {
      rollup("cost_usage_daily", "day", fromDay, toDay);
      if (fromHour < fromDay) rollup("cost_usage_hourly", "hour", fromHour, fromDay);
      if (toDay < toHour) rollup("cost_usage_hourly", "hour", toDay, toHour);
    } else rollup("cost_usage_hourly", "hour", fromHour, toHour);
  }
  const keys = q.groupBy.map((k) => `${KEY_SQL[k]} as "${k}"`);
  const groupCols = q.groupBy.map((_, i) => String(i + 1));
  const sql = `
    select ${[...keys, ""].join(", ")}
           coalesce(sum(requests), 0)::bigint as requests, coalesce(sum(input_tokens), 0)::bigint as input_tokens,
           coalesce(sum(cached_input_tokens), 0)::bigint as cached_input_tokens,
           coalesce(sum(output_tokens), 0)::bigint as output_tokens, coalesce(sum(cost_usd), 0)::text as cost_usd,
           coalesce(sum(unpriced_requests), 0)::bigint as unpriced_requests
      from (${parts.join(" union all ")}) src
     ${groupCols.length ? `group by ${groupCols.join(", ")} order by ${groupCols.join(", ")}` : ""}`;
  const r = await db.query(sql, params);
  return r.rows
    .filter((row) => q.groupBy.length === 0 || Number(row.requests) > 0)
    .map((row) => {
      const out: CostRow = {
        requests: Number(row.requests),
        inputTokens: Number(row.input_tokens),
        cachedInputTokens: Number(row.cached_input_tokens),
        outputTokens: Number(row.output_tokens),
        costUsd: formatDecimal(parseDecimal(row.cost_usd)!),
        unpricedRequests: Number(row.unpriced_requests),
      };
      const keyed: Record<string, unknown> = {};
      for (const k of q.groupBy) keyed[k] = row[k];
      return { ...keyed, ...out } as CostRow;
    });
}

/** Spend of a tenant in [start, end) (a budget period: whole UTC days): the daily rollup alone. */
export async function spentIn(
  db: Pick<Database, "query">,
  tenant: string,
  start: Date,
  end: Date,
): Promise<{ spent: string; unpriced: number }> {
  const r = await db.query<{ spent: string; unpriced: number }>(
    `select coalesce(sum(cost_usd), 0)::text as spent, coalesce(sum(unpriced_requests), 0)::int as unpriced
       from cost_usage_daily where tenant = $1 and day >= $2 and day < $3`,
    [tenant, start.toISOString(), end.toISOString()],
  );
  return { spent: formatDecimal(parseDecimal(r.rows[0]!.spent)!), unpriced: r.rows[0]!.unpriced };
}
