/**
 * The sentinel's Postgres state: per-minute rollups of the telemetry (GET /api/v1/telemetry), the
 * anomalies it emitted (GET /api/v1/anomalies) and the detectors' baselines (one row per series, so a
 * restart resumes where the last save was instead of warming up blind).
 */
import type { Database, Migration } from "@llmops/shared";
import type { AnomalyEvent, TraceEvent } from "@llmops/shared/events";
import type { SeriesSnapshot } from "./detect/series.ts";

export const sentinelMigrations: Migration[] = [
  {
    id: "001_sentinel",
    sql: `
      create table sentinel_rollups (
        minute timestamptz not null,
        provider text not null,
        model text not null,
        tenant text not null,
        requests integer not null,
        errors integer not null,
        latency_ms_sum double precision not null,
        latency_ms_max double precision not null,
        ttft_ms_sum double precision not null,
        ttft_count integer not null,
        input_tokens bigint not null,
        output_tokens bigint not null,
        cost_usd double precision not null,
        primary key (minute, provider, model, tenant)
      );
      create table sentinel_anomalies (
        id text primary key,
        detected_at timestamptz not null,
        state text not null,
        provider text not null,
        model text not null,
        tenant text,
        metric text not null,
        severity text not null,
        event jsonb not null
      );
      create index sentinel_anomalies_detected_at on sentinel_anomalies (detected_at);
      create table sentinel_baselines (
        key text primary key,
        snapshot jsonb not null,
        saved_at timestamptz not null default now()
      );`,
  },
];

interface Rollup {
  minute: number;
  provider: string;
  model: string;
  tenant: string;
  requests: number;
  errors: number;
  latencySum: number;
  latencyMax: number;
  ttftSum: number;
  ttftCount: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
}

/**
 * Per-minute rollups (event time) kept in memory and written in batches; rows add up, so a minute
 * written twice (a flush before and after it closed, or two replicas) sums correctly.
 */
export class RollupBuffer {
  private rows = new Map<string, Rollup>();

  add(e: TraceEvent, failed: boolean, cost: number | undefined): void {
    const t = Date.parse(e.startedAt);
    if (Number.isNaN(t)) return;
    const minute = t - (t % 60_000);
    const model = e.model ?? "unknown";
    const key = `${minute}\u0000${e.provider}\u0000${model}\u0000${e.tenant}`;
    let r = this.rows.get(key);
    if (!r) {
      r = {
        minute,
        provider: e.provider,
        model,
        tenant: e.tenant,
        requests: 0,
        errors: 0,
        latencySum: 0,
        latencyMax: 0,
        ttftSum: 0,
        ttftCount: 0,
        inputTokens: 0,
        outputTokens: 0,
        cost: 0,
      };
      this.rows.set(key, r);
    }
    r.requests++;
    if (failed) r.errors++;
    r.latencySum += e.latencyMs;
    if (e.latencyMs > r.latencyMax) r.latencyMax = e.latencyMs;
    if (e.ttftMs !== null) {
      r.ttftSum += e.ttftMs;
      r.ttftCount++;
    }
    r.inputTokens += e.usage.inputTokens;
    r.outputTokens += e.usage.outputTokens;
    r.cost += cost ?? 0;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Writes everything buffered; on failure the rows are kept (merged with new ones) for the next flush. */
  async flush(db: Database): Promise<number> {
    if (this.rows.size === 0) return 0;
    const batch = [...this.rows.values()];
    this.rows = new Map();
    try {
      const col = <K extends keyof Rollup>(k: K) => batch.map((r) => r[k]);
      await db.query(
        `insert into sentinel_rollups as r (minute, provider, model, tenant, requests, errors, latency_ms_sum,
           latency_ms_max, ttft_ms_sum, ttft_count, input_tokens, output_tokens, cost_usd)
         select to_timestamp(m / 1000.0), p, mo, te, rq, er, ls, lm, ts, tc, it, ot, co
           from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::float8[],
                       $8::float8[], $9::float8[], $10::int[], $11::bigint[], $12::bigint[], $13::float8[])
             as x(m, p, mo, te, rq, er, ls, lm, ts, tc, it, ot, co)
         on conflict (minute, provider, model, tenant) do update set
           requests = r.requests + excluded.requests, errors = r.errors + excluded.errors,
           latency_ms_sum = r.latency_ms_sum + excluded.latency_ms_sum,
           latency_ms_max = greatest(r.latency_ms_max, excluded.latency_ms_max),
           ttft_ms_sum = r.ttft_ms_sum + excluded.ttft_ms_sum, ttft_count = r.ttft_count + excluded.ttft_count,
           input_tokens = r.input_tokens + excluded.input_tokens,
           output_tokens = r.output_tokens + excluded.output_tokens, cost_usd = r.cost_usd + excluded.cost_usd`,
        [
          col("minute"),
          col("provider"),
          col("model"),
          col("tenant"),
          col("requests"),
          col("errors"),
          col("latencySum"),
          col("latencyMax"),
          col("ttftSum"),
          col("ttftCount"),
          col("inputTokens"),
          col("outputTokens"),
          col("cost"),
        ],
      );
      return batch.length;
    } catch (err) {
      for (const r of batch) this.merge(r);
      throw err;
    }
  }

  private merge(r: Rollup): void {
    const key = `${r.minute}\u0000${r.provider}\u0000${r.model}\u0000${r.tenant}`;
    const cur = this.rows.get(key);
    if (!cur) return void this.rows.set(key, r);
    cur.requests += r.requests;
    cur.errors += r.errors;
    cur.latencySum += r.latencySum;
    cur.latencyMax = Math.max(cur.latencyMax, r.latencyMax);
    cur.ttftSum += r.ttftSum;
    cur.ttftCount += r.ttftCount;
    cur.inputTokens += r.inputTokens;
    cur.outputTokens += r.outputTokens;
    cur.cost += r.cost;
  }
}

export interface TelemetryRow {
  minute: string;
  provider: string;
  model: string;
  requests: number;
  errors: number;
  errorRate: number;
  latencyMsAvg: number | null;
  latencyMsMax: number | null;
  ttftMsAvg: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export async function telemetry(
  db: Database,
  q: { since: Date; tenant?: string | undefined; provider?: string | undefined; model?: string | undefined },
): Promise<TelemetryRow[]> {
  const r = await db.query(
    `select minute, provider, model, sum(requests)::int as requests, sum(errors)::int as errors,
            sum(latency_ms_sum) as latency_sum, max(latency_ms_max) as latency_max, sum(ttft_ms_sum) as ttft_sum,
            sum(ttft_count)::int as ttft_count, sum(input_tokens)::bigint as input_tokens,
            sum(output_tokens)::bigint as output_tokens, sum(cost_usd) as cost
       from sentinel_rollups
      where minute >= $1 and ($2::text is null or tenant = $2) and ($3::text is null or provider = $3)
        and ($4::text is null or model = $4)
      group by minute, provider, model order by minute, provider, model`,
    [q.since, q.tenant ?? null, q.provider ?? null, q.model ?? null],
  );
  return r.rows.map((x) => ({
    minute: new Date(x.minute).toISOString(),
    provider: x.provider,
    model: x.model,
    requests: x.requests,
    errors: x.errors,
    errorRate: x.requests ? x.errors / x.requests : 0,
    latencyMsAvg: x.requests ? x.latency_sum / x.requests : null,
    latencyMsMax: x.requests ? x.latency_max : null,
    ttftMsAvg: x.ttft_count ? x.ttft_sum / x.ttft_count : null,
    inputTokens: Number(x.input_tokens),
    outputTokens: Number(x.output_tokens),
    costUsd: x.cost,
  }));
}

/** Stores an emitted anomaly; ids are deterministic, so a re-emission after a redelivery is a no-op. */
/** Stores anomalies in one statement (an id already stored is left as it is). */
export async function storeAnomalies(db: Database, list: AnomalyEvent[]): Promise<void> {
  if (list.length === 0) return;
  await db.query(
    `insert into sentinel_anomalies (id, detected_at, state, provider, model, tenant, metric, severity, event)
     select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                          $7::text[], $8::text[], $9::jsonb[])
     on conflict (id) do nothing`,
    [
      list.map((a) => a.id),
      list.map((a) => a.detectedAt),
      list.map((a) => a.state ?? "firing"),
      list.map((a) => a.subject.provider),
      list.map((a) => a.subject.model),
      list.map((a) => a.subject.tenant ?? null),
      list.map((a) => a.metric),
      list.map((a) => a.severity),
      list.map((a) => JSON.stringify(a)),
    ],
  );
}

export async function listAnomalies(
  db: Database,
  q: { since?: Date | undefined; state?: string | undefined; tenant?: string | undefined; limit: number },
): Promise<AnomalyEvent[]> {
  // A tenant sees its own anomalies and the provider-wide ones (which affect every tenant).
  const r = await db.query(
    `select event from sentinel_anomalies
      where ($1::timestamptz is null or detected_at >= $1) and ($2::text is null or state = $2)
        and ($3::text is null or tenant is null or tenant = $3)
      order by detected_at desc, id limit $4`,
    [q.since ?? null, q.state ?? null, q.tenant ?? null, q.limit],
  );
  return r.rows.map((x) => x.event as AnomalyEvent);
}

export async function saveBaselines(db: Database, series: SeriesSnapshot[]): Promise<void> {
  if (!series.length) return;
  await db.query(
    `insert into sentinel_baselines (key, snapshot, saved_at)
     select k, s, now() from unnest($1::text[], $2::jsonb[]) as x(k, s)
     on conflict (key) do update set snapshot = excluded.snapshot, saved_at = excluded.saved_at`,
    [series.map((s) => s.key), series.map((s) => JSON.stringify(s))],
  );
}

export async function loadBaselines(db: Database): Promise<SeriesSnapshot[]> {
  const r = await db.query(`select snapshot from sentinel_baselines order by key`);
  return r.rows.map((x) => x.snapshot as SeriesSnapshot);
}
