/**
 * `npm run bench` (second part): the cost API's ingest and costs query on a real PostgreSQL (the
 * Debian package's server, started like the tests do; BENCH_DATABASE_URL to use another one).
 *
 * - ingest_batched_vs_row: the same ingest statement with 1 row per statement vs INGEST_BATCH_MAX rows,
 *   into the same server; ratio of rows/s (target >= 10x).
 * - ingest_pipeline: the real service (bus -> batch consumer -> Postgres) fed a burst of trace events;
 *   events/s stored (target: keeps up with 5 000 traces/s).
 * - costs_query_p95: p95 of the costs query (a month, groupBy tenant,model, partial hours at both ends,
 *   all tenants and one tenant) over BENCH_COST_ROWS usage rows per size (default 1M and 10M).
 */
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { createLogger, MemoryBus, startService, type TraceEvent } from "../services/shared/src/index.ts";
import { PriceCatalogue } from "../services/cost-api/src/catalogue.ts";
import { queryCosts } from "../services/cost-api/src/costs.ts";
import { ingestRows, toUsageRow } from "../services/cost-api/src/ingest.ts";
import costApi from "../services/cost-api/src/service.ts";
import { createDatabase, startPostgres } from "../test/helpers/postgres.ts";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const SIZES = (process.env.BENCH_COST_ROWS ?? "1000000,10000000")
  .split(",")
  .map((s) => Math.round(Number(s) * SCALE));
const silent = createLogger("bench", "silent");
const emit = (line: Record<string, unknown>) =>
  process.stdout.write(
    `${JSON.stringify({ ...line, cpus: cpus().length, loadavg1m: Number(loadavg()[0]!.toFixed(2)) })}\n`,
  );

const MODELS = [
  "gpt-4o",
  "gpt-4o-mini",
  "gpt-4.1",
  "gpt-4.1-mini",
  "o3-mini",
  "claude-sonnet-4-20250514",
  "gemini-2.0-flash",
  "unknown-model",
];
const PROVIDER: Record<string, string> = {
  "claude-sonnet-4-20250514": "anthropic",
  "gemini-2.0-flash": "gemini",
};
function trace(i: number, at: number): TraceEvent {
  const model = MODELS[i % MODELS.length]!;
  return {
    v: 1,
    id: randomUUID(),
    traceId: randomUUID().replaceAll("-", ""),
    tenant: `tenant-${i % 50}`,
    provider: PROVIDER[model] ?? "openai",
    model,
    operation: "chat",
    stream: false,
    startedAt: new Date(at).toISOString(),
    latencyMs: 100,
    ttftMs: null,
    status: 200,
    errorType: null,
    usage: {
      inputTokens: 500 + (i % 1000),
      cachedInputTokens: i % 300,
      outputTokens: 100 + (i % 200),
      source: "provider",
    },
    securityFlags: [],
    securityScore: 0,
    attributes: {},
  };
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main() {
  const server = process.env.BENCH_DATABASE_URL ? undefined : await startPostgres();
  const serverUrl = process.env.BENCH_DATABASE_URL ?? server!.url;
  try {
    // 1. batched vs row-at-a-time, same statement, same server.
    {
      const url = await createDatabase(serverUrl);
      const svc = await startService(costApi, {
        env: { PORT: "0", HOST: "127.0.0.1", DATABASE_URL: url, LOG_LEVEL: "silent" },
        bus: new MemoryBus(),
        logger: silent,
      });
      const prices = new PriceCatalogue(svc.db!, silent);
      await prices.reload();
      const now = Date.now();
      const rowN = Math.max(200, Math.round(5000 * SCALE));
      const rowRows = Array.from({ length: rowN }, (_, i) => toUsageRow(trace(i, now - i * 1000), prices));
      let t = performance.now();
      for (const r of rowRows) await ingestRows(svc.db!, [r]);
      const rowRate = rowN / ((performance.now() - t) / 1000);
      const batchN = rowN * 20;
      const batchRows = Array.from({ length: batchN }, (_, i) => toUsageRow(trace(i, now - i * 50), prices));
      t = performance.now();
      for (let i = 0; i < batchN; i += 1000) await ingestRows(svc.db!, batchRows.slice(i, i + 1000));
      const batchRate = batchN / ((performance.now() - t) / 1000);
      emit({
        bench: "ingest_batched_vs_row",
        row_at_a_time_rows_per_s: Math.round(rowRate),
        batched_rows_per_s: Math.round(batchRate),
        batch: 1000,
        ratio: Number((batchRate / rowRate).toFixed(1)),
        target: ">= 10",
        pass: batchRate / rowRate >= 10,
      });
      await svc.close();
    }
    // 2. the whole pipeline: bus -> batch consumer -> priced rows + rollup -> budgets.
    {
      const url = await createDatabase(serverUrl);
      const bus = new MemoryBus({ retention: 1_000_000 });
      const svc = await startService(costApi, {
        env: { PORT: "0", HOST: "127.0.0.1", DATABASE_URL: url, LOG_LEVEL: "silent" },
        bus,
        logger: silent,
      });
      const n = Math.max(2000, Math.round(50_000 * SCALE));
      const now = Date.now();
      const events = Array.from({ length: n }, (_, i) => trace(i, now - (n - i)));
      const t = performance.now();
      for (const e of events) await bus.publish("llm.traces", e.tenant, e);
      for (;;) {
        const r = await svc.db!.query("select count(*)::int as n from cost_usage");
        if (r.rows[0].n >= n) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const rate = n / ((performance.now() - t) / 1000);
      emit({
        bench: "ingest_pipeline",
        events: n,
        events_per_s: Math.round(rate),
        target: ">= 5000",
        pass: rate >= 5000,
      });
      await svc.close();
      await bus.close();
    }
    // 3. costs query p95 over 1M and 10M usage rows (generated in SQL, rollup built from them).
    for (const size of SIZES) {
      const url = await createDatabase(serverUrl);
      const svc = await startService(costApi, {
        env: { PORT: "0", HOST: "127.0.0.1", DATABASE_URL: url, LOG_LEVEL: "silent" },
        bus: new MemoryBus(),
        logger: silent,
      });
      const db = svc.db!;
      const end = Date.UTC(2026, 10, 1);
      const span = 30 * 86_400; // seconds in the month the rows are spread over
      const t0 = performance.now();
      for (let done = 0; done < size; done += 1_000_000) {
        const k = Math.min(1_000_000, size - done);
        await db.query(
          `insert into cost_usage (event_id, tenant, provider, model, started_at, status, usage_source, input_tokens,
                                   cached_input_tokens, output_tokens, cost_usd)
           select 'e' || g, 'tenant-' || (g % 50), 'openai', 'model-' || (g % 8),
                  to_timestamp($2::double precision - (g % $3)) , 200, 'provider', 500 + g % 1000, g % 300, 100 + g % 200,
                  case when g % 97 = 0 then null else ((500 + g % 1000) * 2.5 + (100 + g % 200) * 10) / 1000000 end
             from generate_series($1::bigint, $1::bigint + $4 - 1) g`,
          [done, end / 1000, span, k],
        );
      }
      await db.query(
        `insert into cost_usage_hourly
         select tenant, provider, model, date_trunc('hour', started_at, 'UTC'), count(*), sum(input_tokens),
                sum(cached_input_tokens), sum(output_tokens), coalesce(sum(cost_usd), 0), count(*) filter (where cost_usd is null)
           from cost_usage group by 1, 2, 3, 4`,
      );
      await db.query("analyze");
      const genS = (performance.now() - t0) / 1000;
      const rollupRows = (await db.query("select count(*)::int as n from cost_usage_hourly")).rows[0].n;
      const from = new Date(end - span * 1000 + 1_234_567);
      const to = new Date(end - 2_345_678);
      const time = async (tenant?: string) => {
        const xs: number[] = [];
        for (let i = 0; i < 40; i++) {
          const t = performance.now();
          await queryCosts(db, { groupBy: ["tenant", "model"], from, to, tenant });
          xs.push(performance.now() - t);
        }
        return xs.slice(5);
      };
      const all = await time();
      const one = await time("tenant-7");
      const target = size >= 10_000_000 ? 200 : 50;
      emit({
        bench: "costs_query_p95",
        usage_rows: size,
        rollup_rows: rollupRows,
        generate_s: Number(genS.toFixed(1)),
        all_tenants_p50_ms: Number(pct(all, 50).toFixed(1)),
        all_tenants_p95_ms: Number(pct(all, 95).toFixed(1)),
        one_tenant_p50_ms: Number(pct(one, 50).toFixed(1)),
        one_tenant_p95_ms: Number(pct(one, 95).toFixed(1)),
        target_ms: `< ${target}`,
        pass: pct(all, 95) < target && pct(one, 95) < target,
      });
      await db.query("drop table cost_usage, cost_usage_hourly cascade").catch(() => {});
      await svc.close();
    }
  } finally {
    await server?.stop();
  }
}

await main();
