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
];
