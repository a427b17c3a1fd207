import { authenticate, errors, type KeyStore, principalOf, requireAdmin, scopeTenant } from "@llmops/shared";
import { formatDecimal, normalizePrice, parseDecimal } from "@llmops/shared/pricing";
import type { FastifyInstance } from "fastify";
import type { Budgets } from "./budgets.ts";
import type { PriceCatalogue } from "./catalogue.ts";
import { type CostQuery, GROUP_KEYS, type GroupKey, queryCosts } from "./costs.ts";
import { costsCsv, FOCUS_COLUMNS, focusRows, toCsv } from "./exports.ts";
import { readLiteLLMTable } from "./litellm.ts";
import type { Period } from "./periods.ts";

export interface RoutesOptions {
  keys: KeyStore;
  prices: PriceCatalogue;
  budgets: Budgets;
  /** After prices changed: price what was unpriced and re-evaluate budgets. */
  onPricesChanged: () => Promise<void>;
  now?: () => Date;
}

interface CostsQuerystring {
  groupBy?: string;
  from?: string;
  to?: string;
  tenant?: string;
  provider?: string;
  model?: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** An ISO date or date-time with a zone, or a 400 naming the parameter. */
function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = ISO.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw errors.badRequest(
      `${name}: "${value}" is not an ISO 8601 date or date-time with a zone (e.g. 2026-05-01 or 2026-05-01T00:00:00Z)`,
      "invalid_date",
    );
  return new Date(ms);
}

const stringQuery = (names: string[]) => ({
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(names.map((n) => [n, { type: "string", minLength: 1 }])),
});

/** The costs, prices and budgets APIs (authenticated; tenant keys see their own tenant only). */
export async function costRoutes(app: FastifyInstance, opts: RoutesOptions): Promise<void> {
  const now = opts.now ?? (() => new Date());
  // Validation errors name the parameter or field (ajv's own text says "must NOT have additional properties").
  app.setSchemaErrorFormatter((errs, dataVar) => {
    const e = errs[0];
    const field = e?.instancePath ? e.instancePath.slice(1).replaceAll("/", ".") : "";
    const extra = e?.keyword === "additionalProperties" ? String(e.params.additionalProperty) : "";
    return new Error(
      extra
        ? `${dataVar}: unknown parameter "${extra}"`
        : `${dataVar}${field ? `.${field}` : ""}: ${e?.message ?? "invalid"}`,
    );
  });
  await app.register(authenticate, { keys: opts.keys });

  function costQuery(q: CostsQuerystring, tenant: string | undefined, fixedGroupBy?: GroupKey[]): CostQuery {
    let groupBy: GroupKey[] = fixedGroupBy ?? [];
    if (!fixedGroupBy && q.groupBy !== undefined) {
      const keys = q.groupBy.split(",").map((k) => k.trim());
      const bad = keys.filter((k) => !(GROUP_KEYS as readonly string[]).includes(k));
      if (bad.length || keys.length === 0)
        throw errors.badRequest(
          `groupBy: unknown key ${bad.map((b) => `"${b}"`).join(", ")} (one or more of ${GROUP_KEYS.join(", ")}, comma-separated)`,
          "invalid_group_by",
        );
      groupBy = [...new Set(keys as GroupKey[])];
    }
    const t = now();
    const to = instant("to", q.to) ?? t;
    const from = instant("from", q.from) ?? new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
    if (from.getTime() > to.getTime())
      throw errors.badRequest(
        `from (${from.toISOString()}) is after to (${to.toISOString()})`,
        "invalid_range",
      );
    return { groupBy, from, to, tenant, provider: q.provider, model: q.model };
  }

  const costsSchema = { querystring: stringQuery(["groupBy", "from", "to", "tenant", "provider", "model"]) };

  app.get<{ Querystring: CostsQuerystring }>("/api/v1/costs", { schema: costsSchema }, async (req) => {
    const q = costQuery(req.query, scopeTenant(principalOf(req), req.query.tenant));
    const rows = await queryCosts(opts.prices.db, q);
    return { from: q.from.toISOString(), to: q.to.toISOString(), groupBy: q.groupBy, rows };
  });

  app.get<{ Querystring: CostsQuerystring }>(
    "/api/v1/costs/export.csv",
    { schema: costsSchema },
    async (req, reply) => {
      const q = costQuery(req.query, scopeTenant(principalOf(req), req.query.tenant));
      const rows = await queryCosts(opts.prices.db, q);
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", 'attachment; filename="costs.csv"');
      return costsCsv(q.groupBy, rows);
    },
  );

  app.get<{ Querystring: Omit<CostsQuerystring, "groupBy"> }>(
    "/api/v1/costs/focus.csv",
    { schema: { querystring: stringQuery(["from", "to", "tenant", "provider", "model"]) } },
    async (req, reply) => {
      const q = costQuery(req.query, scopeTenant(principalOf(req), req.query.tenant), [
        "day",
        "tenant",
        "provider",
        "model",
      ]);
      const rows = await queryCosts(opts.prices.db, q);
      reply.header("content-type", "text/csv; charset=utf-8");
      reply.header("content-disposition", 'attachment; filename="focus.csv"');
      return toCsv([...FOCUS_COLUMNS], focusRows(rows, "llmops"));
    },
  );

  app.get<{ Querystring: { provider?: string; model?: string; at?: string } }>(
    "/api/v1/prices",
    { schema: { querystring: stringQuery(["provider", "model", "at"]) } },
    async (req) => {
      const at = instant("at", req.query.at);
      const filter = { ...req.query, ...(at ? { at: at.toISOString() } : {}) };
      return { data: opts.prices.list(filter) };
    },
  );

  app.put<{ Body: Record<string, unknown> }>(
    "/api/v1/prices",
    { schema: { body: { type: "object" } } },
    async (req) => {
      requireAdmin(principalOf(req));
      const r = normalizePrice({ ...req.body, source: "api" }, now());
      if (!r.price) {
        const [first] = r.problems;
        throw errors.badRequest(
          r.problems.map((p) => `${p.field}: ${p.message}`).join("; "),
          `invalid_${first!.field.replace(/\[.*$/, "")}`,
        );
      }
      const [stored] = await opts.prices.insert([r.price], true);
      await opts.prices.reload();
      await opts.onPricesChanged();
      return stored;
    },
  );

  app.post<{ Body: unknown; Querystring: { effectiveFrom?: string; source?: string } }>(
    "/api/v1/prices/import",
    { schema: { querystring: stringQuery(["effectiveFrom", "source"]) }, bodyLimit: 32 * 1024 * 1024 },
    async (req) => {
      requireAdmin(principalOf(req));
      const effectiveFrom = (instant("effectiveFrom", req.query.effectiveFrom) ?? now()).toISOString();
      let table;
      try {
        table = readLiteLLMTable(req.body, { effectiveFrom, source: req.query.source ?? "import" });
      } catch (err) {
        throw errors.badRequest(`body: ${(err as Error).message}`, "invalid_price_table");
      }
      const { added, unchanged } = await opts.prices.insertIfChanged(table.prices);
      await opts.onPricesChanged();
      return { added: added.length, unchanged, skipped: table.skipped.length };
    },
  );

  app.get<{ Params: { tenant: string } }>("/api/v1/budgets/:tenant", async (req) => {
    const tenant = scopeTenant(principalOf(req), req.params.tenant)!;
    const b = await opts.budgets.get(tenant);
    if (!b) throw errors.notFound(`No budget for tenant "${tenant}"`, "budget_not_found");
    return b;
  });

  app.put<{ Params: { tenant: string }; Body: { limitUsd?: unknown; period?: unknown } }>(
    "/api/v1/budgets/:tenant",
    { schema: { body: { type: "object" } } },
    async (req) => {
      requireAdmin(principalOf(req));
      const { limitUsd, period } = req.body;
      const limit = parseDecimal(limitUsd);
      if (!limit)
        throw errors.badRequest(
          `limitUsd: must be a number or a decimal string, got ${JSON.stringify(limitUsd)}`,
          "invalid_limit",
        );
      if (limit.isNegative()) throw errors.badRequest("limitUsd: must not be negative", "invalid_limit");
      if (period !== "day" && period !== "month")
        throw errors.badRequest(
          `period: must be "day" or "month", got ${JSON.stringify(period)}`,
          "invalid_period",
        );
      return opts.budgets.put(req.params.tenant, formatDecimal(limit), period as Period);
    },
  );

  app.get<{ Params: { tenant: string } }>("/api/v1/budgets/:tenant/status", async (req) => {
    const tenant = scopeTenant(principalOf(req), req.params.tenant)!;
    const s = await opts.budgets.status(tenant);
    if (!s) throw errors.notFound(`No budget for tenant "${tenant}"`, "budget_not_found");
    return s;
  });

  app.get<{ Querystring: { tenant?: string } }>(
    "/api/v1/usage/unpriced",
    { schema: { querystring: stringQuery(["tenant"]) } },
    async (req) => {
      const tenant = scopeTenant(principalOf(req), req.query.tenant);
      const r = await opts.prices.db.query(
        `select provider, model, count(*)::int as requests, min(started_at) as "firstSeen", max(started_at) as "lastSeen",
                sum(input_tokens)::bigint as "inputTokens", sum(output_tokens)::bigint as "outputTokens"
           from cost_usage where cost_usd is null ${tenant !== undefined ? "and tenant = $1" : ""}
          group by 1, 2 order by 3 desc`,
        tenant !== undefined ? [tenant] : [],
      );
      return { data: r.rows };
    },
  );
}
