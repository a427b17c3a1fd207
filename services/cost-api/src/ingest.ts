import type { Database, TraceEvent } from "@llmops/shared";
import { costOf } from "@llmops/shared/pricing";
import type { PriceCatalogue } from "./catalogue.ts";

/** One trace event as a usage row: what it cost, or null when its model has no price (flagged). */
export interface UsageRow {
  eventId: string;
  tenant: string;
  provider: string;
  model: string;
  startedAt: string;
  status: number;
  source: "provider" | "estimated";
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  costUsd: string | null;
  priceId: number | null;
}

export interface IngestResult {
  /** Rows written (duplicates of events already stored are not). */
  inserted: number;
  /** Tenants whose spend changed. */
  tenants: string[];
  /** Of the rows written, how many are unpriced, by provider/model. */
  unpriced: Array<{ provider: string; model: string; requests: number }>;
  /** Cost written, by tenant and model (for metrics). */
  costs: Array<{ tenant: string; model: string; costUsd: string }>;
}

/** The model a call is billed as: the one requested (prices and aliases name those), else the one that answered. */
function billedModel(e: TraceEvent): string {
  if (e.model) return e.model;
  const answered = e.attributes["gen_ai.response.model"];
  return typeof answered === "string" ? answered : "";
}

export function toUsageRow(e: TraceEvent, prices: PriceCatalogue): UsageRow {
  const model = billedModel(e);
  const u = e.usage;
  const billable = u.inputTokens + u.outputTokens + u.cachedInputTokens > 0;
  const price = billable ? prices.at(e.provider, model, e.startedAt) : undefined;
  return {
    eventId: e.id,
    tenant: e.tenant,
    provider: e.provider,
    model,
    startedAt: e.startedAt,
    status: e.status,
    source: u.source ?? "provider",
    inputTokens: u.inputTokens,
    cachedInputTokens: u.cachedInputTokens,
    outputTokens: u.outputTokens,
    // A call without tokens costs nothing whatever its model; one with tokens and no price is unpriced.
    costUsd: !billable ? "0" : price ? costOf(u, price) : null,
    priceId: price?.id ?? null,
  };
}

/**
 * Writes a batch in one statement: the rows as arrays (unnest), skipping event ids already stored
 * (at-least-once delivery), and the hourly rollup advanced by exactly the rows that were new, in the
 * same statement so the two never disagree.
 */
export async function ingestRows(db: Database, rows: UsageRow[]): Promise<IngestResult> {
  if (rows.length === 0) return { inserted: 0, tenants: [], unpriced: [], costs: [] };
  const col = <K extends keyof UsageRow>(k: K) => rows.map((r) => r[k]);
  const r = await db.query<{
    tenant: string;
    provider: string;
    model: string;
    requests: number;
    unpriced: number;
    cost: string;
  }>(
    `with v as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[],
                            $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::numeric[], $12::bigint[])
         as t(event_id, tenant, provider, model, started_at, status, usage_source, input_tokens,
              cached_input_tokens, output_tokens, cost_usd, price_id)
     ), ins as (
       insert into cost_usage (event_id, tenant, provider, model, started_at, status, usage_source,
                               input_tokens, cached_input_tokens, output_tokens, cost_usd, price_id)
       select distinct on (event_id) * from v
       on conflict (event_id) do nothing
       returning tenant, provider, model, started_at, input_tokens, cached_input_tokens, output_tokens, cost_usd
     ), agg as (
       select tenant, provider, model, date_trunc('hour', started_at, 'UTC') as hour, count(*) as requests,
              sum(input_tokens) as input_tokens, sum(cached_input_tokens) as cached_input_tokens,
              sum(output_tokens) as output_tokens, coalesce(sum(cost_usd), 0) as cost_usd,
              count(*) filter (where cost_usd is null) as unpriced_requests
         from ins group by 1, 2, 3, 4
     ), roll as (
       insert into cost_usage_hourly as h (tenant, provider, model, hour, requests, input_tokens,
                                           cached_input_tokens, output_tokens, cost_usd, unpriced_requests)
       select * from agg order by tenant, provider, model, hour
       on conflict (tenant, provider, model, hour) do update set
         requests = h.requests + excluded.requests,
         input_tokens = h.input_tokens + excluded.input_tokens,
         cached_input_tokens = h.cached_input_tokens + excluded.cached_input_tokens,
         output_tokens = h.output_tokens + excluded.output_tokens,
         cost_usd = h.cost_usd + excluded.cost_usd,
         unpriced_requests = h.unpriced_requests + excluded.unpriced_requests
     )
     select tenant, provider, model, sum(requests)::int as requests, sum(unpriced_requests)::int as unpriced,
            sum(cost_usd)::text as cost
       from agg group by 1, 2, 3`,
    [
      col("eventId"),
      col("tenant"),
      col("provider"),
      col("model"),
      col("startedAt"),
      col("status"),
      col("source"),
      col("inputTokens"),
      col("cachedInputTokens"),
      col("outputTokens"),
      col("costUsd"),
      col("priceId"),
    ],
  );
  const out: IngestResult = { inserted: 0, tenants: [], unpriced: [], costs: [] };
  const tenants = new Set<string>();
  for (const g of r.rows) {
    out.inserted += g.requests;
    tenants.add(g.tenant);
    if (g.unpriced) out.unpriced.push({ provider: g.provider, model: g.model, requests: g.unpriced });
    out.costs.push({ tenant: g.tenant, model: g.model, costUsd: g.cost });
  }
  out.tenants = [...tenants];
  return out;
}

/**
 * Prices usage that was stored unpriced, for models that have a price by now (one in force at the
 * call's time), and moves it in the rollup from unpriced to cost. Usage already priced keeps its price.
 * Returns the tenants whose spend changed. Safe on several replicas at once: a row is priced by
 * whichever update gets it (the `cost_usd is null` guard), and only that one adds it to the rollup.
 */
export async function repriceUnpriced(
  db: Database,
  prices: PriceCatalogue,
  batch = 1000,
): Promise<{ priced: number; tenants: string[] }> {
  const tenants = new Set<string>();
  let priced = 0;
  let after = "";
  for (;;) {
    const r = await db.query<{
      event_id: string;
      provider: string;
      model: string;
      started_at: Date;
      input_tokens: number;
      cached_input_tokens: number;
      output_tokens: number;
    }>(
      `select event_id, provider, model, started_at, input_tokens, cached_input_tokens, output_tokens
         from cost_usage where cost_usd is null and event_id > $1 order by event_id limit $2`,
      [after, batch],
    );
    if (r.rows.length === 0) break;
    after = r.rows.at(-1)!.event_id;
    const updates: Array<{ id: string; cost: string; priceId: number }> = [];
    for (const row of r.rows) {
      const price = prices.at(row.provider, row.model, row.started_at);
      if (!price) continue;
      const usage = {
        inputTokens: row.input_tokens,
        cachedInputTokens: row.cached_input_tokens,
        outputTokens: row.output_tokens,
      };
      updates.push({ id: row.event_id, cost: costOf(usage, price), priceId: price.id });
    }
    if (updates.length === 0) continue;
    const u = await db.query<{ tenant: string; n: number }>(
      `with upd as (
         update cost_usage c set cost_usd = v.cost, price_id = v.price_id
           from unnest($1::text[], $2::numeric[], $3::bigint[]) as v(event_id, cost, price_id)
          where c.event_id = v.event_id and c.cost_usd is null
         returning c.tenant, c.provider, c.model, date_trunc('hour', c.started_at, 'UTC') as hour, c.cost_usd
       ), agg as (
         select tenant, provider, model, hour, count(*) as n, sum(cost_usd) as cost from upd group by 1, 2, 3, 4
       ), roll as (
         update cost_usage_hourly h set cost_usd = h.cost_usd + agg.cost,
                unpriced_requests = h.unpriced_requests - agg.n
           from agg
          where h.tenant = agg.tenant and h.provider = agg.provider and h.model = agg.model and h.hour = agg.hour
       )
       select tenant, sum(n)::int as n from agg group by tenant`,
      [updates.map((x) => x.id), updates.map((x) => x.cost), updates.map((x) => x.priceId)],
    );
    for (const row of u.rows) {
      tenants.add(row.tenant);
      priced += row.n;
    }
  }
  return { priced, tenants: [...tenants] };
}
