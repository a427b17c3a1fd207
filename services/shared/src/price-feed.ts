/**
 * Reading the cost API's price catalogue (GET /api/v1/prices, or a file of the same records) into a
 * PriceBook. Every record goes through normalizePrice, so a price means the same thing to every reader
 * (the sentinel's cost series, the router's cost strategy) as in the bill.
 */
import { ConfigError } from "./config.ts";
import { normalizePrice, type Price, PriceBook } from "./pricing.ts";

/** Accepts a list of prices, or the API's {data: [...]} / {prices: [...]} envelope. */
export function pricesFrom(doc: unknown, source: string): Price[] {
  const list = Array.isArray(doc)
    ? doc
    : doc && typeof doc === "object"
      ? ((doc as { data?: unknown }).data ?? (doc as { prices?: unknown }).prices)
      : undefined;
  if (!Array.isArray(list))
    throw new ConfigError([`${source}: expected a list of prices (or {"data": [...]})`]);
  const problems: string[] = [];
  const prices: Price[] = [];
  list.forEach((raw, i) => {
    const r = normalizePrice((raw ?? {}) as Record<string, unknown>, new Date(0));
    if (r.price) prices.push(r.price);
    else for (const p of r.problems) problems.push(`${source}: [${i}].${p.field}: ${p.message}`);
  });
  if (problems.length) throw new ConfigError(problems);
  return prices;
}

/** The cost API's whole catalogue, every effective date (so calls are priced at their own time). */
export async function fetchPrices(
  baseUrl: string,
  apiKey: string | undefined,
  timeoutMs = 5000,
): Promise<PriceBook> {
  const url = new URL("/api/v1/prices", baseUrl);
  const res = await fetch(url, {
    headers: { accept: "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
  return new PriceBook(pricesFrom(await res.json(), "cost API prices"));
}

/**
 * The cost API's catalogue as its readers hold it: the last list that arrived, replaced on each
 * successful refresh and kept when one fails, so a cost API restart never empties it. The owner
 * decides when to refresh (at start and on a ServiceContext.every timer).
 */
export class PriceFeed {
  book = new PriceBook();
  /** Epoch ms of the last successful refresh (0 = none yet). */
  loadedAt = 0;
  lastError: string | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly onError: (message: string) => void = () => {},
  ) {}

  async refresh(): Promise<void> {
    try {
      this.book = await fetchPrices(this.baseUrl, this.apiKey);
      this.loadedAt = Date.now();
      this.lastError = null;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.onError(this.lastError);
    }
  }
}
