/**
 * The cost strategy's prices: the cost API's current price list (GET /api/v1/prices), fetched at start
 * and every `refreshMs`, so routing ranks by the same catalogue the cost API bills with, never a copy
 * of its own. Ranking needs only an order, so rates are read as numbers here; money is the cost API's.
 * While no list has arrived (the cost API is down or slow), deployments rank as unpriced: after every
 * priced one, in random order, and routing goes on.
 */
import { fetchPrices } from "@llmops/shared/price-feed";
import { PriceBook, ratesFor } from "@llmops/shared/pricing";
import type { Deployment } from "./catalogue.ts";

export class CostPrices {
  private book = new PriceBook();
  private timer: NodeJS.Timeout | null = null;
  /** Epoch ms of the last successful fetch (0 = none yet). */
  loadedAt = 0;
  lastError: string | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      this.book = await fetchPrices(this.baseUrl, this.apiKey);
      this.loadedAt = Date.now();
      this.lastError = null;
    } catch (err) {
      // Keep the last good list: a cost API restart must not reshuffle routing.
      this.lastError = (err as Error).message;
    }
  }

  /** USD per million input and output tokens for a prompt of this size, or undefined when unpriced. */
  priceOf(d: Deployment, promptTokens = 0): { input: number; output: number } | undefined {
    const p = this.book.at(d.provider, d.model);
    if (!p) return undefined;
    const r = ratesFor(p, promptTokens);
    return { input: Number(r.inputPerMTok), output: Number(r.outputPerMTok) };
  }
}
