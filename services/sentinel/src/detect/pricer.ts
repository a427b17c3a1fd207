/**
 * Cost per call from the platform's price catalogue (the shared pricing module: the same records, the
 * same effective-date lookup and tiers as the cost API). Billing needs exact decimals; a detector needs
 * a double, and decimal arithmetic on every event would cost more than all the detectors together, so
 * the rates the shared module selects are read as doubles once per price and applied here. A test
 * holds this to costOf on random calls.
 */
import { type Price, type PriceBook, ratesFor, type TokenUsage } from "@llmops/shared/pricing";
import type { Pricer } from "./engine.ts";

type Rates = ReturnType<typeof ratesFor>;
const floats = new WeakMap<Rates, [number, number, number]>();

function perToken(r: Rates): [number, number, number] {
  let f = floats.get(r);
  if (!f) {
    f = [Number(r.inputPerMTok) / 1e6, Number(r.cachedInputPerMTok) / 1e6, Number(r.outputPerMTok) / 1e6];
    floats.set(r, f);
  }
  return f;
}

/** USD of one call as a double (same rules as costOf: cached tokens are the prompt's cached part). */
export function approximateCost(usage: TokenUsage, price: Price): number {
  const input = Math.max(0, Math.floor(usage.inputTokens));
  const cached = Math.min(input, Math.max(0, Math.floor(usage.cachedInputTokens)));
  const output = Math.max(0, Math.floor(usage.outputTokens));
  const [i, c, o] = perToken(ratesFor(price, input));
  return (input - cached) * i + cached * c + output * o;
}

/** A pricer over a price book that may be swapped (the cost API's catalogue is refreshed). */
export function bookPricer(book: () => PriceBook): Pricer {
  return ({ provider, model, at, usage }) => {
    const price = book().at(provider, model, new Date(at));
    return price ? approximateCost(usage, price) : undefined;
  };
}
