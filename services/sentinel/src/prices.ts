/**
 * Where the sentinel's prices come from: the cost API's catalogue in the service (the shared price
 * feed), a file of the same records for a replay.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "@llmops/shared";
import { pricesFrom } from "@llmops/shared/price-feed";
import { PriceBook } from "@llmops/shared/pricing";
import { parse as parseYaml } from "yaml";

export function loadPricesFile(path: string): PriceBook {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  let doc: unknown;
  try {
    doc = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([`${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}`]);
  }
  return new PriceBook(pricesFrom(doc, path));
}
