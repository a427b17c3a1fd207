/**
 * Where the sentinel's prices come from: the cost API's catalogue in the service (the shared price
 * feed), a file of the same records for a replay.
 */
import { readConfigFile } from "@llmops/shared/config-file";
import { pricesFrom } from "@llmops/shared/price-feed";
import { PriceBook } from "@llmops/shared/pricing";

export function loadPricesFile(path: string): PriceBook {
  return new PriceBook(pricesFrom(readConfigFile(path), path));
}
