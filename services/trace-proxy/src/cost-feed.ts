/**
 * What the budget ledger reads from the cost API: a tenant's budget status and the price catalogue, each
 * with the proxy's key there (an admin key: it reads every tenant). Prices are the shared PriceFeed, which
 * the service refreshes at start and every PRICES_REFRESH_MS; the last good list is kept while the cost
 * API is unreachable.
 */
import { PriceFeed } from "@llmops/shared/price-feed";
import type { PriceBook } from "@llmops/shared/pricing";
import type { Logger } from "@llmops/shared";
import type { BudgetStatusView } from "./ledger.ts";

export class CostFeed {
  /** The price catalogue, refreshed by the owner (ServiceContext.every); kept while the cost API is down. */
  readonly prices: PriceFeed;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    logger: Logger,
    private readonly timeoutMs = 5000,
  ) {
    this.prices = new PriceFeed(baseUrl, apiKey, (err) =>
      logger.warn({ err }, "cost API prices unavailable"),
    );
  }

  /** The catalogue, or null until a first list has arrived. */
  book(): PriceBook | null {
    return this.prices.loadedAt ? this.prices.book : null;
  }

  /** The tenant's budget status, or null when it has none (404). */
  async status(tenant: string): Promise<BudgetStatusView | null> {
    const url = new URL(`/api/v1/budgets/${encodeURIComponent(tenant)}/status`, this.baseUrl);
    const res = await fetch(url, {
      headers: {
        accept: "application/json",
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (res.status === 404) {
      await res.arrayBuffer();
      return null;
    }
    if (!res.ok) {
      await res.arrayBuffer();
      throw new Error(`GET ${url.pathname}: HTTP ${res.status}`);
    }
    return (await res.json()) as BudgetStatusView;
  }
}
