/**
 * What the budget ledger reads from the cost API: a tenant's budget status and the price catalogue, each
 * with the proxy's key there (an admin key: it reads every tenant). Prices are fetched at start and every
 * PRICES_REFRESH_MS; the last good list is kept while the cost API is unreachable.
 */
import { fetchPrices } from "@llmops/shared/price-feed";
import type { PriceBook } from "@llmops/shared/pricing";
import type { Logger } from "@llmops/shared";
import type { BudgetStatusView } from "./ledger.ts";

export class CostFeed {
  private book: PriceBook | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string | undefined,
    private readonly refreshMs: number,
    private readonly logger: Logger,
    private readonly timeoutMs = 5000,
  ) {}

  /** Starts the price refresh; resolves after the first attempt (a failure is logged, retried later). */
  async start(): Promise<void> {
    await this.refreshPrices();
    this.timer = setInterval(() => void this.refreshPrices(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  prices(): PriceBook | null {
    return this.book;
  }

  async refreshPrices(): Promise<void> {
    try {
      this.book = await fetchPrices(this.baseUrl, this.apiKey, this.timeoutMs);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "cost API prices unavailable");
    }
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
