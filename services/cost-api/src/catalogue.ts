import { readConfigFile } from "@llmops/shared/config-file";
import { ConfigError, type Database, type Logger } from "@llmops/shared";
import { formatDecimal, type Price, PriceBook, parseDecimal } from "@llmops/shared/pricing";
import { readLiteLLMTable } from "./litellm.ts";
// Imported, not read from disk: the image's bundle carries it (there is no src/ next to dist/).
import snapshot from "./prices/litellm-snapshot.json" with { type: "json" };

/** The seed: a pinned subset of LiteLLM's public price table (prices/SOURCE.md says which and when). */
export const SNAPSHOT_SOURCE = "litellm model_prices_and_context_window.json@00035b69 (2026-12-01)";
export const SNAPSHOT_EFFECTIVE_FROM = "1970-01-01T00:00:00.000Z";

export interface StoredPrice extends Price {
  id: number;
}

interface PriceRow {
  id: string | number;
  provider: string;
  model: string;
  input_per_mtok: string;
  cached_input_per_mtok: string;
  output_per_mtok: string;
  tiers: Price["tiers"];
  aliases: string[];
  effective_from: Date;
  source: string;
}

const fromRow = (r: PriceRow): StoredPrice => ({
  id: Number(r.id),
  provider: r.provider,
  model: r.model,
  // numeric comes back as text with the column's scale; normalise through the decimal library
  inputPerMTok: norm(r.input_per_mtok),
  cachedInputPerMTok: norm(r.cached_input_per_mtok),
  outputPerMTok: norm(r.output_per_mtok),
  effectiveFrom: r.effective_from.toISOString(),
  ...(r.tiers && r.tiers.length ? { tiers: r.tiers } : {}),
  ...(r.aliases.length ? { aliases: r.aliases } : {}),
  source: r.source,
});

const norm = (s: string) => formatDecimal(parseDecimal(s)!);

/**
 * The price catalogue in Postgres, with an in-memory PriceBook for pricing usage on ingest. Prices are
 * append-only per (provider, model, effectiveFrom): a PUT of the same key replaces that one price.
 */
export class PriceCatalogue {
  private book = new PriceBook();
  private all: StoredPrice[] = [];

  constructor(
    readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** Seeds the snapshot (idempotent: prices already there are kept) and an optional file, then loads. */
  async init(pricesFile?: string): Promise<void> {
    const seeded = readLiteLLMTable(snapshot, {
      effectiveFrom: SNAPSHOT_EFFECTIVE_FROM,
      source: SNAPSHOT_SOURCE,
    });
    await this.insert(seeded.prices, false);
    if (pricesFile) {
      let r: ReturnType<typeof readLiteLLMTable>;
      try {
        r = readLiteLLMTable(readConfigFile(pricesFile, "PRICES_FILE"), {
          effectiveFrom: new Date().toISOString(),
          source: `file:${pricesFile}`,
        });
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError([`PRICES_FILE: ${pricesFile}: ${(err as Error).message}`]);
      }
      await this.insertIfChanged(r.prices);
      this.logger.info(
        { file: pricesFile, prices: r.prices.length, skipped: r.skipped.length },
        "prices imported",
      );
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    const r = await this.db.query<PriceRow>(
      `select id, provider, model, input_per_mtok::text, cached_input_per_mtok::text, output_per_mtok::text,
              tiers, aliases, effective_from, source from cost_prices order by id`,
    );
    this.all = r.rows.map(fromRow);
    this.book = new PriceBook(this.all);
  }

  at(provider: string, model: string, at: Date | string): StoredPrice | undefined {
    return this.book.at(provider, model, at) as StoredPrice | undefined;
  }

  list(filter: { provider?: string; model?: string; at?: string }): StoredPrice[] {
    if (filter.at && filter.provider && filter.model) {
      const p = this.at(filter.provider, filter.model, filter.at);
      return p ? [p] : [];
    }
    return this.all.filter(
      (p) =>
        (!filter.provider || p.provider === filter.provider) &&
        (!filter.model || p.model === filter.model || p.aliases?.includes(filter.model)) &&
        (!filter.at || Date.parse(p.effectiveFrom) <= Date.parse(filter.at)),
    );
  }

  /** Stores prices; `replace` overwrites a price with the same (provider, model, effectiveFrom). */
  async insert(prices: Price[], replace: boolean): Promise<StoredPrice[]> {
    const out: StoredPrice[] = [];
    for (let i = 0; i < prices.length; i += 500) {
      const chunk = prices.slice(i, i + 500);
      const r = await this.db.query<PriceRow>(
        `insert into cost_prices (provider, model, input_per_mtok, cached_input_per_mtok, output_per_mtok,
                                  tiers, aliases, effective_from, source)
         select p.provider, p.model, p.input::numeric, p.cached::numeric, p.output::numeric, p.tiers::jsonb,
                coalesce((select array_agg(a) from jsonb_array_elements_text(p.aliases::jsonb) a), '{}'),
                p.effective_from::timestamptz, p.source
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[])
                as p(provider, model, input, cached, output, tiers, aliases, effective_from, source)
         on conflict (provider, model, effective_from) do ${
           replace
             ? `update set input_per_mtok = excluded.input_per_mtok,
                  cached_input_per_mtok = excluded.cached_input_per_mtok, output_per_mtok = excluded.output_per_mtok,
                  tiers = excluded.tiers, aliases = excluded.aliases, source = excluded.source`
             : "nothing"
         }
         returning id, provider, model, input_per_mtok::text, cached_input_per_mtok::text, output_per_mtok::text,
                   tiers, aliases, effective_from, source`,
        [
          chunk.map((p) => p.provider),
          chunk.map((p) => p.model),
          chunk.map((p) => p.inputPerMTok),
          chunk.map((p) => p.cachedInputPerMTok),
          chunk.map((p) => p.outputPerMTok),
          chunk.map((p) => JSON.stringify(p.tiers ?? [])),
          chunk.map((p) => JSON.stringify(p.aliases ?? [])),
          chunk.map((p) => p.effectiveFrom),
          chunk.map((p) => p.source ?? "api"),
        ],
      );
      out.push(...r.rows.map(fromRow));
    }
    return out;
  }

  /**
   * Imports a table: a model whose price in force now already has the same figures gets no new row, so
   * re-importing an unchanged table is a no-op and history stays readable.
   */
  async insertIfChanged(prices: Price[]): Promise<{ added: StoredPrice[]; unchanged: number }> {
    await this.reload();
    const same = (a: Price, b: Price) =>
      a.inputPerMTok === b.inputPerMTok &&
      a.cachedInputPerMTok === b.cachedInputPerMTok &&
      a.outputPerMTok === b.outputPerMTok &&
      JSON.stringify(a.tiers ?? []) === JSON.stringify(b.tiers ?? []);
    const changed = prices.filter((p) => {
      const current = this.book.at(p.provider, p.model, p.effectiveFrom);
      return !current || current.provider !== p.provider || current.model !== p.model || !same(current, p);
    });
    const added = await this.insert(changed, true);
    await this.reload();
    return { added, unchanged: prices.length - changed.length };
  }
}
