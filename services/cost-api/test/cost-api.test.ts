/**
 * The cost API as a specification, against the real service (HTTP, the in-process bus, Postgres over the
 * wire protocol): embedded PGlite, and a real PostgreSQL server the test setup starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, migrateService, openDatabase } from "@llmops/shared";
import { costMigrations } from "../src/migrations.ts";
import costApi from "../src/service.ts";
import { postgresBackends } from "../../../test/helpers/postgres.ts";
import { ACME_KEY, type CostApi, GLOBEX_KEY, metricValue, startCostApi, trace } from "./helpers.ts";

const HOUR = 3_600_000;
/** A fixed past hour, so hour and day groups are deterministic. */
const T0 = Date.parse("2026-03-10T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

for (const backend of await postgresBackends()) {
  describe(`cost API on ${backend.name}`, () => {
    let api: CostApi;
    beforeAll(async () => {
      api = await startCostApi(await backend.env());
    });
    afterAll(async () => {
      try {
        await api?.close();
      } finally {
        await backend.cleanup?.();
      }
    });

    it("prices each call exactly: uncached prompt, cached prompt and output at their own rates", async () => {
      // gpt-4o in the seed: $2.50 / $1.25 cached / $10 per million tokens.
      await api.ingest([
        trace({
          tenant: "t-exact",
          startedAt: at(0),
          usage: { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200 },
        }),
        trace({
          tenant: "t-exact",
          startedAt: at(60_000),
          usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 },
        }),
      ]);
      const r = await api.call(
        `/api/v1/costs?groupBy=tenant,model&tenant=t-exact&from=${at(-HOUR)}&to=${at(HOUR)}`,
      );
      expect(r.status).toBe(200);
      // 600 x 2.5 + 400 x 1.25 + 200 x 10 = 4000 micro-$, plus 2.5 + 10 = 12.5 micro-$
      expect(r.body.rows).toEqual([
        {
          tenant: "t-exact",
          model: "gpt-4o",
          requests: 2,
          inputTokens: 1001,
          cachedInputTokens: 400,
          outputTokens: 201,
          costUsd: "0.0040125",
          unpricedRequests: 0,
        },
      ]);
    });

    it("stores each event once: redelivered event ids do not count twice", async () => {
      const e = trace({ tenant: "t-dup", startedAt: at(0) });
      await api.ingest([e, e, { ...e }]);
      await api.ingest([e]);
      const r = await api.call(`/api/v1/costs?tenant=t-dup&from=${at(-HOUR)}&to=${at(HOUR)}`);
      expect(r.body.rows).toEqual([expect.objectContaining({ requests: 1, costUsd: "0.0035" })]);
    });

    it("groups by provider, day and hour, and cuts exactly at from/to inside an hour", async () => {
      const tenant = "t-groups";
      await api.ingest([
        trace({ tenant, startedAt: at(5 * 60_000) }), // 10:05
        trace({ tenant, startedAt: at(50 * 60_000) }), // 10:50
        trace({ tenant, startedAt: at(HOUR + 60_000), provider: "azure", model: "gpt-4o" }), // 11:01, unpriced on azure
        trace({ tenant, startedAt: at(26 * HOUR) }), // next day 12:00
      ]);
      const all = await api.call(
        `/api/v1/costs?groupBy=day,hour,provider&tenant=${tenant}&from=2026-03-10&to=2026-03-12`,
      );
      expect(
        all.body.rows.map((r: any) => [r.day, r.hour, r.provider, r.requests, r.costUsd, r.unpricedRequests]),
      ).toEqual([
        ["2026-03-10", "2026-03-10T10:00:00Z", "openai", 2, "0.007", 0],
        ["2026-03-10", "2026-03-10T11:00:00Z", "azure", 1, "0", 1],
        ["2026-03-11", "2026-03-11T12:00:00Z", "openai", 1, "0.0035", 0],
      ]);
      // [10:30, 11:30): one call of 10:50 from the raw rows, and 11:01
      const cut = await api.call(
        `/api/v1/costs?groupBy=provider&tenant=${tenant}&from=${at(30 * 60_000)}&to=${at(90 * 60_000)}`,
      );
      expect(cut.body.rows.map((r: any) => [r.provider, r.requests])).toEqual([
        ["azure", 1],
        ["openai", 1],
      ]);
      const days = await api.call(`/api/v1/costs?groupBy=day&tenant=${tenant}&from=2026-03-10&to=2026-03-12`);
      expect(days.body.rows.map((r: any) => [r.day, r.requests])).toEqual([
        ["2026-03-10", 3],
        ["2026-03-11", 1],
      ]);
    });

    it("reads whole days from a daily rollup that ingest and repricing keep equal to the usage rows", async () => {
      const tenant = "t-days";
      const D = 24 * HOUR;
      // 2026-03-10T10:00 onwards: calls at odd instants over four days, some of a model priced later.
      const calls = Array.from({ length: 40 }, (_, i) =>
        trace({
          tenant,
          startedAt: at(i * 2.3 * HOUR + i * 61_000),
          ...(i % 5 === 0 ? { model: "priced-later-model" } : {}),
          usage: { inputTokens: 100 + i, cachedInputTokens: i, outputTokens: 10 + i },
        }),
      );
      await api.ingest(calls);
      const db = api.svc.db!;
      // From the usage rows themselves, per UTC day and model, over [from, to).
      const fromRows = async (from: string, to: string) =>
        (
          await db.query(
            `select to_char(date_trunc('day', started_at, 'UTC') at time zone 'UTC', 'YYYY-MM-DD') as day, model,
                    count(*)::int as requests, sum(input_tokens)::int as input, coalesce(sum(cost_usd), 0)::text as cost,
                    count(*) filter (where cost_usd is null)::int as unpriced
               from cost_usage where tenant = $1 and started_at >= $2 and started_at < $3 group by 1, 2 order by 1, 2`,
            [tenant, from, to],
          )
        ).rows.map((r: any) => [r.day, r.model, r.requests, r.input, Number(r.cost).toString(), r.unpriced]);
      const fromApi = async (from: string, to: string) =>
        (
          await api.call(`/api/v1/costs?groupBy=day,model&tenant=${tenant}&from=${from}&to=${to}`)
        ).body.rows.map((r: any) => [
          r.day,
          r.model,
          r.requests,
          r.inputTokens,
          Number(r.costUsd).toString(),
          r.unpricedRequests,
        ]);
      // Partial hours, partial days and whole days in one range; then whole days only.
      const ranges = [
        [at(37 * 60_000 + 5_000), at(3 * D + 7 * HOUR + 13 * 60_000)],
        ["2026-03-11T00:00:00Z", "2026-03-13T00:00:00Z"],
      ] as const;
      for (const [from, to] of ranges) {
        const expected = await fromRows(from, to);
        expect(expected.length).toBeGreaterThan(3);
        expect(await fromApi(from, to)).toEqual(expected);
      }
      const rollupsAgree = async () =>
        (
          await db.query(
            `(select tenant, provider, model, day, requests, input_tokens, cached_input_tokens, output_tokens, cost_usd, unpriced_requests
                from cost_usage_daily where tenant = $1
              except
              select tenant, provider, model, date_trunc('day', started_at, 'UTC'), count(*), sum(input_tokens),
                     sum(cached_input_tokens), sum(output_tokens), coalesce(sum(cost_usd), 0), count(*) filter (where cost_usd is null)
                from cost_usage where tenant = $1 group by 1, 2, 3, 4)`,
            [tenant],
          )
        ).rows;
      expect(await rollupsAgree()).toEqual([]);
      // The price arrives: the waiting usage is priced, in the hourly and the daily rollup alike.
      const put = await api.call("/api/v1/prices", {
        method: "PUT",
        json: {
          provider: "openai",
          model: "priced-later-model",
          inputPerMTok: "3",
          outputPerMTok: "7",
          effectiveFrom: "2026-01-01T00:00:00Z",
        },
      });
      expect(put.status).toBe(200);
      expect(await rollupsAgree()).toEqual([]);
      for (const [from, to] of ranges) {
        const expected = await fromRows(from, to);
        expect(expected.every((r) => r[5] === 0)).toBe(true);
        expect(await fromApi(from, to)).toEqual(expected);
      }
    });

    it("scopes tenant keys to their own tenant; admins see every tenant", async () => {
      await api.ingest([
        trace({ tenant: "acme", startedAt: at(0) }),
        trace({ tenant: "globex", startedAt: at(0) }),
      ]);
      const q = `from=${at(-HOUR)}&to=${at(HOUR)}&groupBy=tenant`;
      const mine = await api.call(`/api/v1/costs?${q}`, { key: ACME_KEY });
      expect(mine.body.rows.map((r: any) => r.tenant)).toEqual(["acme"]);
      expect((await api.call(`/api/v1/costs?${q}&tenant=globex`, { key: ACME_KEY })).status).toBe(403);
      const all = await api.call(`/api/v1/costs?${q}`);
      expect(all.body.rows.map((r: any) => r.tenant)).toEqual(expect.arrayContaining(["acme", "globex"]));
      expect((await api.call(`/api/v1/costs?${q}`, { key: null })).status).toBe(401);
    });

    it("flags usage of an unpriced model (API field, metric) and prices it when a price arrives", async () => {
      const tenant = "t-unpriced";
      await api.ingest([
        trace({ tenant, model: "brand-new-model", startedAt: at(0) }),
        trace({
          tenant,
          model: "brand-new-model",
          startedAt: at(1000),
          usage: { inputTokens: 0, outputTokens: 0 },
        }),
      ]);
      const q = `/api/v1/costs?groupBy=model&tenant=${tenant}&from=${at(-HOUR)}&to=${at(HOUR)}`;
      expect((await api.call(q)).body.rows).toEqual([
        expect.objectContaining({ model: "brand-new-model", requests: 2, costUsd: "0", unpricedRequests: 1 }),
      ]);
      const list = await api.call(`/api/v1/usage/unpriced?tenant=${tenant}`);
      expect(list.body.data).toEqual([
        expect.objectContaining({ provider: "openai", model: "brand-new-model", requests: 1 }),
      ]);
      const before = (await api.call("/metrics", { key: null })).body as string;
      expect(metricValue(before, "llm_cost_ops_unpriced_usage_requests")).toBeGreaterThanOrEqual(1);
      expect(before).toContain(
        'llm_cost_ops_unpriced_requests_total{provider="openai",model="brand-new-model"',
      );

      const put = await api.call("/api/v1/prices", {
        method: "PUT",
        json: {
          provider: "openai",
          model: "brand-new-model",
          inputPerMTok: "1",
          outputPerMTok: 2,
          effectiveFrom: "2026-01-01T00:00:00Z",
        },
      });
      expect(put.status).toBe(200);
      expect((await api.call(q)).body.rows).toEqual([
        expect.objectContaining({ requests: 2, costUsd: "0.0012", unpricedRequests: 0 }), // 1000 x 1 + 100 x 2
      ]);
      expect((await api.call(`/api/v1/usage/unpriced?tenant=${tenant}`)).body.data).toEqual([]);
    });

    it("keeps old usage at its old price when a new price takes effect", async () => {
      const tenant = "t-eff";
      const price = (effectiveFrom: string, inputPerMTok: string) =>
        api.call("/api/v1/prices", {
          method: "PUT",
          json: {
            provider: "acme-llm",
            model: "m1",
            inputPerMTok,
            cachedInputPerMTok: "0",
            outputPerMTok: "0",
            effectiveFrom,
          },
        });
      expect((await price("2026-01-01T00:00:00Z", "1")).status).toBe(200);
      expect((await price("2026-03-10T10:30:00Z", "3")).status).toBe(200);
      await api.ingest([
        trace({ tenant, provider: "acme-llm", model: "m1", startedAt: at(0) }),
        trace({ tenant, provider: "acme-llm", model: "m1", startedAt: at(31 * 60_000) }),
      ]);
      const r = await api.call(
        `/api/v1/costs?groupBy=tenant&tenant=${tenant}&from=${at(-HOUR)}&to=${at(HOUR)}`,
      );
      expect(r.body.rows[0].costUsd).toBe("0.004"); // 1000 x 1 + 1000 x 3
      const p = await api.call(`/api/v1/prices?provider=acme-llm&model=m1&at=2026-02-01T00:00:00Z`);
      expect(p.body.data).toEqual([
        expect.objectContaining({ inputPerMTok: "1", effectiveFrom: "2026-01-01T00:00:00.000Z" }),
      ]);
      expect((await api.call(`/api/v1/prices?provider=acme-llm&model=m1`)).body.data).toHaveLength(2);
    });

    it("serves the seeded catalogue with its source, tiers included", async () => {
      const r = await api.call("/api/v1/prices?provider=gemini&model=gemini-1.5-pro", { key: ACME_KEY });
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual([
        expect.objectContaining({
          inputPerMTok: "1.25",
          outputPerMTok: "5",
          tiers: [
            { aboveInputTokens: 128000, inputPerMTok: "2.5", cachedInputPerMTok: "2.5", outputPerMTok: "10" },
          ],
          source: expect.stringContaining("litellm"),
        }),
      ]);
    });

    it("announces 80% and 100% once per period, and resolves when the limit is raised", async () => {
      const tenant = "t-budget";
      const today = new Date().toISOString();
      const put = await api.call(`/api/v1/budgets/${tenant}`, {
        method: "PUT",
        json: { limitUsd: "0.01", period: "day" },
      });
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ tenant, limitUsd: "0.01", period: "day" });
      const events = () => api.budgetEvents.filter((e) => e.tenant === tenant).map((e) => e.threshold);
      // 0.0035 per call (0.0025 without output): 0.007 is under 80 %, 0.0095 over it, 0.013 over 100 %.
      await api.ingest([trace({ tenant, startedAt: today }), trace({ tenant, startedAt: today })]);
      expect(events()).toEqual([]);
      await api.ingest([trace({ tenant, startedAt: today, usage: { outputTokens: 0 } })]);
      await expect.poll(events).toEqual([0.8]);
      await api.ingest([trace({ tenant, startedAt: today })]);
      await expect.poll(events).toEqual([0.8, 1]);
      await api.ingest([trace({ tenant, startedAt: today })]);
      const status = await api.call(`/api/v1/budgets/${tenant}/status`);
      expect(status.body).toMatchObject({
        tenant,
        period: "day",
        limitUsd: "0.01",
        spentUsd: "0.0165",
        remainingUsd: "0",
        state: "exceeded",
      });
      expect(status.body.periodStart).toBe(`${today.slice(0, 10)}T00:00:00.000Z`);
      expect(events()).toEqual([0.8, 1]);
      await api.call(`/api/v1/budgets/${tenant}`, { method: "PUT", json: { limitUsd: 1, period: "day" } });
      await expect.poll(events).toEqual([0.8, 1, 0]);
      const last = api.budgetEvents.at(-1)!;
      expect(last).toMatchObject({ tenant, period: "day", limitUsd: 1, spentUsd: 0.0165, threshold: 0 });
      expect((await api.call(`/api/v1/budgets/${tenant}/status`)).body.state).toBe("ok");
    });

    it("budgets: tenant keys read their own, writes need an admin key", async () => {
      await api.call("/api/v1/budgets/acme", { method: "PUT", json: { limitUsd: 100, period: "month" } });
      expect((await api.call("/api/v1/budgets/acme", { key: ACME_KEY })).body).toMatchObject({
        limitUsd: "100",
        period: "month",
      });
      expect((await api.call("/api/v1/budgets/acme", { key: GLOBEX_KEY })).status).toBe(403);
      const write = await api.call("/api/v1/budgets/acme", {
        method: "PUT",
        key: ACME_KEY,
        json: { limitUsd: 1e6, period: "month" },
      });
      expect(write.status).toBe(403);
      expect(write.body.error.type).toBe("permission_error");
      const price = await api.call("/api/v1/prices", {
        method: "PUT",
        key: ACME_KEY,
        json: { provider: "x", model: "y", inputPerMTok: 0, outputPerMTok: 0 },
      });
      expect(price.status).toBe(403);
      expect((await api.call("/api/v1/budgets/nobody")).status).toBe(404);
    });

    it("answers bad input with a 400 naming the field", async () => {
      const bad = async (path: string, field: string, init?: Parameters<CostApi["call"]>[1]) => {
        const r = await api.call(path, init);
        expect(r.status, path).toBe(400);
        expect(r.body.error.message, path).toContain(field);
        expect(r.body.error.type).toBe("invalid_request_error");
      };
      await bad("/api/v1/costs?from=yesterday", "from");
      await bad("/api/v1/costs?to=2026-13-45", "to");
      await bad("/api/v1/costs?from=2026-03-02&to=2026-03-01", "from");
      await bad("/api/v1/costs?groupBy=tenant,colour", "groupBy");
      await bad("/api/v1/costs?bogus=1", "bogus");
      await bad("/api/v1/prices?at=soon", "at");
      const budget = (json: unknown) => ({ method: "PUT", json });
      await bad("/api/v1/budgets/acme", "limitUsd", budget({ limitUsd: -1, period: "day" }));
      await bad("/api/v1/budgets/acme", "limitUsd", budget({ limitUsd: "ten", period: "day" }));
      await bad("/api/v1/budgets/acme", "period", budget({ limitUsd: 1, period: "week" }));
      const price = (over: object) => ({
        method: "PUT",
        json: { provider: "p", model: "m", inputPerMTok: 1, outputPerMTok: 1, ...over },
      });
      await bad("/api/v1/prices", "inputPerMTok", price({ inputPerMTok: -0.5 }));
      await bad("/api/v1/prices", "outputPerMTok", price({ outputPerMTok: "free" }));
      await bad("/api/v1/prices", "effectiveFrom", price({ effectiveFrom: "next tuesday" }));
    });

    it("exports the same rows as CSV, and a FOCUS-style file for finance tools", async () => {
      const q = `groupBy=tenant,model&tenant=t-exact&from=${at(-HOUR)}&to=${at(HOUR)}`;
      const csv = await api.call(`/api/v1/costs/export.csv?${q}`);
      expect(csv.headers.get("content-type")).toContain("text/csv");
      expect(csv.body).toBe(
        "tenant,model,requests,inputTokens,cachedInputTokens,outputTokens,costUsd,unpricedRequests\r\n" +
          "t-exact,gpt-4o,2,1001,400,201,0.0040125,0\r\n",
      );
      const focus = await api.call(`/api/v1/costs/focus.csv?tenant=t-exact&from=${at(-HOUR)}&to=${at(HOUR)}`);
      const [header, row, end] = (focus.body as string).split("\r\n");
      const cols = header!.split(",");
      const rec = Object.fromEntries(cols.map((c, i) => [c, row!.split(",")[i]]));
      expect(rec).toMatchObject({
        BilledCost: "0.0040125",
        EffectiveCost: "0.0040125",
        BillingCurrency: "USD",
        ChargeCategory: "Usage",
        ChargePeriodStart: "2026-03-10T00:00:00.000Z",
        ChargePeriodEnd: "2026-03-11T00:00:00.000Z",
        BillingPeriodStart: "2026-03-01T00:00:00.000Z",
        ProviderName: "openai",
        SubAccountId: "t-exact",
        ConsumedQuantity: "1202",
        ConsumedUnit: "Tokens",
        x_UnpricedRequests: "0",
      });
      expect(end).toBe("");
    });

    it("imports a price table in LiteLLM's format, and a re-import of the same table adds nothing", async () => {
      const table = {
        sample_spec: { input_cost_per_token: 0 },
        "acme/acme-large": {
          litellm_provider: "acme",
          mode: "chat",
          input_cost_per_token: 3e-6,
          output_cost_per_token: 1.5e-5,
          cache_read_input_token_cost: 3e-7,
        },
        "dall-e-9": { litellm_provider: "openai", mode: "image_generation", output_cost_per_image: 0.04 },
      };
      const first = await api.call("/api/v1/prices/import?effectiveFrom=2026-01-01", {
        method: "POST",
        json: table,
      });
      expect(first.body).toEqual({ added: 1, unchanged: 0, skipped: 1 });
      const again = await api.call("/api/v1/prices/import?effectiveFrom=2026-02-01", {
        method: "POST",
        json: table,
      });
      expect(again.body).toEqual({ added: 0, unchanged: 1, skipped: 1 });
      const p = await api.call("/api/v1/prices?provider=acme&model=acme-large");
      expect(p.body.data).toEqual([
        expect.objectContaining({ inputPerMTok: "3", cachedInputPerMTok: "0.3", outputPerMTok: "15" }),
      ]);
      expect(
        (await api.call("/api/v1/prices/import", { method: "POST", key: ACME_KEY, json: table })).status,
      ).toBe(403);
    });

    it("dead-letters a malformed event with the reason and keeps consuming", async () => {
      await api.bus.publish("llm.traces", "acme", { v: 1, id: "broken", tenant: "acme" });
      const after = trace({ tenant: "t-after-bad", startedAt: at(0) });
      await api.ingest([after]);
      const letters = await api.svc.bus.deadLetters("cost-api-ingest");
      expect(letters[0]).toMatchObject({ topic: "llm.traces", reason: expect.stringMatching(/^schema: /) });
    });

    it("exposes the deployment guide's metrics and its own", async () => {
      const text = (await api.call("/metrics", { key: null })).body as string;
      for (const name of [
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "llm_cost_ops_events_ingested_total",
        "llm_cost_ops_cost_usd_total",
        "llm_cost_ops_ingest_lag_seconds_bucket",
        "llm_cost_ops_unpriced_usage_requests",
        "llm_cost_ops_budget_events_total",
      ])
        expect(text, name).toContain(name);
      expect(metricValue(text, "llm_cost_ops_events_ingested_total", 'result="stored"')).toBeGreaterThan(10);
      expect(text).toMatch(/llm_cost_ops_cost_usd_total\{tenant="t-exact",model="gpt-4o"[^}]*\} 0\.0040125/);
    });

    it("migrations are safe to run again and from several replicas at once", async () => {
      // Again on the service's database: nothing left to apply.
      expect(await migrateService(costApi, api.svc.db!)).toEqual([]);
      const env = await backend.env();
      if (!env.DATABASE_URL) return; // one embedded database per process: no second replica to race
      // Three replicas (own pools) racing on a fresh database: each migration applied exactly once.
      const dbs = await Promise.all([1, 2, 3].map(() => openDatabase({ url: env.DATABASE_URL })));
      try {
        const runs = await Promise.all(dbs.map((db) => migrateService(costApi, db)));
        expect(runs.flat().sort()).toEqual(
          [...costMigrations.map((m) => m.id), "001_outbox", "002_dead_letters"].sort(),
        );
        const tables = await dbs[0]!.query("select count(*)::int as n from cost_prices");
        expect(tables.rows[0].n).toBe(0);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });
  });
}

describe("PRICES_FILE", () => {
  const file = (name: string, text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), "prices-")), name);
    writeFileSync(path, text);
    return path;
  };
  it("a file that is missing, not JSON, or not a price table stops the start with one message naming it", async () => {
    await expect(startCostApi({ PRICES_FILE: "/nonexistent/prices.json" })).rejects.toThrow(
      /PRICES_FILE: \/nonexistent\/prices.json: cannot read \(no such file\)/,
    );
    await expect(startCostApi({ PRICES_FILE: file("p.json", "{ nope") })).rejects.toThrow(
      /PRICES_FILE: .*p\.json: not valid JSON/,
    );
    const list = startCostApi({ PRICES_FILE: file("list.json", "[]") });
    await expect(list).rejects.toBeInstanceOf(ConfigError);
    await expect(list).rejects.toThrow(/PRICES_FILE: .*list\.json: a LiteLLM price table is a JSON object/);
  });
});
