/**
 * The cost strategy's prices: the cost API's current price list (GET /api/v1/prices, held by a shared
 * PriceFeed), so routing ranks by the same catalogue the cost API bills with, never a copy of its own.
 * Ranking needs only an order, so rates are read as numbers here; money is the cost API's. While no
 * list has arrived (the cost API is down or slow), deployments rank as unpriced: after every priced
 * one, in random order, and routing goes on.
 */
import type { PriceFeed } from "@llmops/shared/price-feed";
import { ratesFor } from "@llmops/shared/pricing";
import type { Deployment } from "./catalogue.ts";

/** USD per million input and output tokens for a prompt of this size, or undefined when unpriced. */
export function deploymentPrice(
  feed: PriceFeed,
  d: Deployment,
  promptTokens = 0,
): { input: number; output: number } | undefined {
  const p = feed.book.at(d.provider, d.model);
  if (!p) return undefined;
  const r = ratesFor(p, promptTokens);
  return { input: Number(r.inputPerMTok), output: Number(r.outputPerMTok) };
}
