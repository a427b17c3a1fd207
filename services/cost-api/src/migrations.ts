import type { Migration } from "@llmops/shared";

/**
 * The cost API's tables. Money is numeric (exact), times are timestamptz (UTC periods are computed with
 * explicit 'UTC' zones, never the session's). The runtime applies these in order, once each, under an
 * advisory lock, so replicas starting together and a migrate init container are all safe.
 */
export const costMigrations: Migration[] = [
  {
    id: "001_prices",
    sql: `
      create table if not exists cost_prices (
        id bigserial primary key,
        provider text not null,
        model text not null,
        input_per_mtok numeric not null check (input_per_mtok >= 0),
        cached_input_per_mtok numeric not null check (cached_input_per_mtok >= 0),
        output_per_mtok numeric not null check (output_per_mtok >= 0),
        tiers jsonb not null default '[]'::jsonb,
        aliases text[] not null default '{}',
        effective_from timestamptz not null,
        source text not null,
        created_at timestamptz not null default now(),
        unique (provider, model, effective_from)
      );`,
  },
  {
    id: "002_usage",
    sql: `
      create table if not exists cost_usage (
        event_id text primary key,
        tenant text not null,
        provider text not null,
        model text not null,
        started_at timestamptz not null,
        status int not null,
        usage_source text not null,
        input_tokens bigint not null,
        cached_input_tokens bigint not null,
        output_tokens bigint not null,
        -- null: usage of a model without a price (flagged, priced when a price arrives)
        cost_usd numeric,
        price_id bigint references cost_prices (id),
        ingested_at timestamptz not null default now()
      );
      create index if not exists cost_usage_tenant_time on cost_usage (tenant, started_at);
      create index if not exists cost_usage_time on cost_usage (started_at);
      create index if not exists cost_usage_unpriced on cost_usage (provider, model) where cost_usd is null;
      -- One row per tenant, provider, model and UTC hour: what the costs API and budgets read.
      create table if not exists cost_usage_hourly (
        tenant text not null,
        provider text not null,
        model text not null,
        hour timestamptz not null,
        requests bigint not null,
        input_tokens bigint not null,
        cached_input_tokens bigint not null,
        output_tokens bigint not null,
        cost_usd numeric not null,
        unpriced_requests bigint not null,
        primary key (tenant, provider, model, hour)
      );
      create index if not exists cost_usage_hourly_hour on cost_usage_hourly (hour);`,
  },
  {
    id: "003_budgets",
    sql: `
      create table if not exists cost_budgets (
        tenant text primary key,
        limit_usd numeric not null check (limit_usd >= 0),
        period text not null check (period in ('day', 'month')),
        updated_at timestamptz not null default now()
      );
      -- The last level announced on llm.budgets per tenant (0 ok, 1 warning at 80%, 2 exceeded): a
      -- crossing is published once per period and limit, whichever replica sees it first.
      create table if not exists cost_budget_state (
        tenant text primary key,
        period_start timestamptz not null,
        limit_usd numeric not null,
        level smallint not null,
        at timestamptz not null
      );`,
  },
  {
    id: "004_daily_rollup",
    // One row per tenant, provider, model and UTC day, for ranges of whole days (a month reads 24x fewer
    // rows). A trigger on the hourly rollup keeps it: every change to an hourly row (ingest, repricing,
    // from this version or an older replica still running during a rollout) moves its day by the same
    // amounts, in the same transaction. The hourly rows are upserted in key order, so concurrent batches
    // take the daily rows' locks in the same order. The table is locked while the trigger is created and
    // the rollup backfilled, so no hourly change falls between the two.
    sql: `
      lock table cost_usage_hourly in share row exclusive mode;
      create table if not exists cost_usage_daily (
        tenant text not null,
        provider text not null,
        model text not null,
        day timestamptz not null,
        requests bigint not null,
        input_tokens bigint not null,
        cached_input_tokens bigint not null,
        output_tokens bigint not null,
        cost_usd numeric not null,
        unpriced_requests bigint not null,
        primary key (tenant, provider, model, day)
      );
      create index if not exists cost_usage_daily_day on cost_usage_daily (day);
      create or replace function cost_usage_daily_apply() returns trigger language plpgsql as $fn$
      declare
        d_requests bigint := new.requests;
        d_input bigint := new.input_tokens;
        d_cached bigint := new.cached_input_tokens;
        d_output bigint := new.output_tokens;
        d_cost numeric := new.cost_usd;
        d_unpriced bigint := new.unpriced_requests;
      begin
        if tg_op = 'UPDATE' then
          d_requests := d_requests - old.requests;
          d_input := d_input - old.input_tokens;
          d_cached := d_cached - old.cached_input_tokens;
          d_output := d_output - old.output_tokens;
          d_cost := d_cost - old.cost_usd;
          d_unpriced := d_unpriced - old.unpriced_requests;
        end if;
        insert into cost_usage_daily as d (tenant, provider, model, day, requests, input_tokens,
                                           cached_input_tokens, output_tokens, cost_usd, unpriced_requests)
        values (new.tenant, new.provider, new.model, date_trunc('day', new.hour, 'UTC'), d_requests, d_input,
                d_cached, d_output, d_cost, d_unpriced)
        on conflict (tenant, provider, model, day) do update set
          requests = d.requests + excluded.requests,
          input_tokens = d.input_tokens + excluded.input_tokens,
          cached_input_tokens = d.cached_input_tokens + excluded.cached_input_tokens,
          output_tokens = d.output_tokens + excluded.output_tokens,
          cost_usd = d.cost_usd + excluded.cost_usd,
          unpriced_requests = d.unpriced_requests + excluded.unpriced_requests;
        return null;
      end
      $fn$;
      drop trigger if exists cost_usage_daily_apply on cost_usage_hourly;
      create trigger cost_usage_daily_apply after insert or update on cost_usage_hourly
        for each row execute function cost_usage_daily_apply();
      delete from cost_usage_daily;
      insert into cost_usage_daily
      select tenant, provider, model, date_trunc('day', hour, 'UTC'), sum(requests), sum(input_tokens),
             sum(cached_input_tokens), sum(output_tokens), sum(cost_usd), sum(unpriced_requests)
        from cost_usage_hourly group by 1, 2, 3, 4;`,
  },
];
