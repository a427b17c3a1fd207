/**
 * Model prices and the cost of a call, in exact decimal arithmetic. Pure (no I/O, no runtime imports):
 * the cost API bills with it, the sentinel costs each call with it, the router's cost strategy ranks
 * deployments with it, so one formula holds everywhere.
 *
 *   cost = (input - cachedInput) x inputPerMTok / 1e6
 *        + cachedInput            x cachedInputPerMTok / 1e6
 *        + output                 x outputPerMTok / 1e6
 *
 * Usage follows the OpenAI convention the trace proxy records: `inputTokens` is the whole prompt and
 * `cachedInputTokens` the part of it read from the provider's cache, so cached tokens are billed once, at
 * the cached rate. Prices are USD per million tokens, held as decimal strings (never binary floats), and
 * money comes out as a decimal string ("0.000123").
 */
import decimalModule from "decimal.js";

// decimal.js's types describe its CommonJS build (the class as a `Decimal` property); its ES build's
// default export is the class itself. Either way, this is the class.
const DecimalJs = ((decimalModule as { Decimal?: unknown }).Decimal ??
  decimalModule) as typeof decimalModule.Decimal;

// A private constructor: 40 significant digits (a year of tokens at any price stays exact) and never
// exponent notation in toString, without touching the global Decimal other code may configure.
const Dec = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -100,
  toExpPos: 100,
});
type Dec = InstanceType<typeof Dec>;

const MILLION = new Dec(1_000_000);

/** A higher rate for calls whose prompt is larger than `aboveInputTokens` (the whole call pays it). */
export interface PriceTier {
  aboveInputTokens: number;
  inputPerMTok: string;
  cachedInputPerMTok: string;
  outputPerMTok: string;
}

/** One price of one model, from `effectiveFrom` until the next price of the same model. */
export interface Price {
  /** Provider name as the trace proxy records it; "*" prices the model on any provider without its own price. */
  provider: string;
  model: string;
  /** USD per million tokens, decimal strings. */
  inputPerMTok: string;
  cachedInputPerMTok: string;
  outputPerMTok: string;
  /** ISO 8601 instant from which this price applies. */
  effectiveFrom: string;
  tiers?: PriceTier[];
  /** Other model ids billed at this price (e.g. a dated snapshot name); matched exactly, never fuzzily. */
  aliases?: string[];
  /** Where the figures come from (a price table and its date, or "api" for an operator's PUT). */
  source?: string;
}

export interface TokenUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** Money or a rate given as a number or a decimal string; anything else is not money. */
export type DecimalInput = string | number;

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The exact decimal of a value, or null when it is not a finite decimal number. */
export function parseDecimal(value: unknown): Dec | null {
  if (typeof value === "number") return Number.isFinite(value) ? new Dec(value) : null;
  if (typeof value !== "string" || !DECIMAL_TEXT.test(value.trim())) return null;
  return new Dec(value.trim());
}

/** A decimal as a plain string: "0.000123", "12", never "1.23e-4". */
export const formatDecimal = (d: Dec): string => d.toFixed();

/** Adds money values exactly (decimal strings or numbers) into a decimal string. */
export function sumMoney(values: Iterable<DecimalInput>): string {
  let total = new Dec(0);
  for (const v of values) total = total.plus(toDec(v));
  return formatDecimal(total);
}

/** Compares two money values exactly: -1, 0 or 1. */
export function compareMoney(a: DecimalInput, b: DecimalInput): -1 | 0 | 1 {
  return toDec(a).comparedTo(toDec(b)) as -1 | 0 | 1;
}

/** a x factor, exact (e.g. 80% of a limit). */
export function scaleMoney(a: DecimalInput, factor: DecimalInput): string {
  return formatDecimal(toDec(a).times(toDec(factor)));
}

/** a split into `parts` equal shares, rounded down (at 1e-20), so the shares never add up to more than a. */
export function shareOfMoney(a: DecimalInput, parts: number): string {
  if (!Number.isInteger(parts) || parts < 1)
    throw new RangeError(`parts must be a positive integer: ${parts}`);
  return formatDecimal(toDec(a).div(parts).toDecimalPlaces(20, DecimalJs.ROUND_DOWN));
}

/** a - b, exact. */
export function subtractMoney(a: DecimalInput, b: DecimalInput): string {
  return formatDecimal(toDec(a).minus(toDec(b)));
}

function toDec(v: DecimalInput): Dec {
  const d = parseDecimal(v);
  if (!d) throw new TypeError(`not a decimal number: ${JSON.stringify(v)}`);
  return d;
}

/** The rates a call of this prompt size pays: the largest tier it is above, else the base rates. */
export function ratesFor(price: Price, inputTokens: number): Omit<PriceTier, "aboveInputTokens"> {
  let best: PriceTier | undefined;
  for (const t of price.tiers ?? [])
    if (inputTokens > t.aboveInputTokens && (!best || t.aboveInputTokens > best.aboveInputTokens)) best = t;
  return best ?? price;
}

/**
 * The exact cost of a call in USD, as a decimal string. Cached tokens beyond the prompt (a provider that
 * reports them apart from the prompt) are counted as the prompt's cached part, never as negative tokens.
 */
export function costOf(usage: TokenUsage, price: Price): string {
  const input = Math.max(0, Math.floor(usage.inputTokens));
  const cached = Math.min(input, Math.max(0, Math.floor(usage.cachedInputTokens)));
  const output = Math.max(0, Math.floor(usage.outputTokens));
  const r = ratesFor(price, input);
  const micro = new Dec(input - cached)
    .times(toDec(r.inputPerMTok))
    .plus(new Dec(cached).times(toDec(r.cachedInputPerMTok)))
    .plus(new Dec(output).times(toDec(r.outputPerMTok)));
  return formatDecimal(micro.div(MILLION));
}

const matches = (p: Price, model: string) => p.model === model || (p.aliases?.includes(model) ?? false);

/**
 * The price of `model` on `provider` in force at `at`: the latest `effectiveFrom` not after `at` among
 * the prices naming the model exactly or as a declared alias (an exact name wins a tie), looking at the
 * provider's own prices first and "*" prices only when it has none for the model. Undefined = unpriced.
 */
export function priceAt(
  prices: readonly Price[],
  provider: string,
  model: string,
  at: Date | string = new Date(),
): Price | undefined {
  const t = typeof at === "string" ? Date.parse(at) : at.getTime();
  for (const prov of provider === "*" ? ["*"] : [provider, "*"]) {
    let best: Price | undefined;
    let bestAt = -Infinity;
    for (const p of prices) {
      if (p.provider !== prov || !matches(p, model)) continue;
      const from = Date.parse(p.effectiveFrom);
      if (from > t) continue;
      if (from > bestAt || (from === bestAt && p.model === model && best?.model !== model)) {
        best = p;
        bestAt = from;
      }
    }
    if (best) return best;
  }
  return undefined;
}

/**
 * Prices indexed by provider and model name (aliases included) for lookups on a hot path; same answers
 * as priceAt over the same list.
 */
export class PriceBook {
  private readonly byKey = new Map<string, Price[]>();

  constructor(prices: readonly Price[] = []) {
    for (const p of prices) this.add(p);
  }

  add(price: Price): void {
    for (const name of [price.model, ...(price.aliases ?? [])]) {
      const key = `${price.provider}\u0000${name}`;
      const list = this.byKey.get(key);
      if (list) list.push(price);
      else this.byKey.set(key, [price]);
    }
  }

  at(provider: string, model: string, at: Date | string = new Date()): Price | undefined {
    const own = this.byKey.get(`${provider}\u0000${model}`);
    const found = own && priceAt(own, provider, model, at);
    if (found || provider === "*") return found;
    const any = this.byKey.get(`*\u0000${model}`);
    return any && priceAt(any, "*", model, at);
  }
}

export interface PriceProblem {
  field: string;
  message: string;
}

/**
 * Checks and normalises a price as a client or a price table gives it (numbers or decimal strings,
 * effectiveFrom an ISO instant, default `now`): the price with decimal strings, or the problems, each
 * naming its field.
 */
export function normalizePrice(
  input: Record<string, unknown>,
  now: Date = new Date(),
): { price: Price; problems: [] } | { price?: undefined; problems: PriceProblem[] } {
  const problems: PriceProblem[] = [];
  const text = (field: string): string => {
    const v = input[field];
    if (typeof v !== "string" || v.trim() === "") {
      problems.push({ field, message: "must be a non-empty string" });
      return "";
    }
    return v.trim();
  };
  const rate = (obj: Record<string, unknown>, field: string, where = field): string => {
    const d = parseDecimal(obj[field]);
    if (!d) problems.push({ field: where, message: "must be a number or a decimal string" });
    else if (d.isNegative()) problems.push({ field: where, message: "must not be negative" });
    return d ? formatDecimal(d) : "0";
  };
  const provider = text("provider");
  const model = text("model");
  const inputPerMTok = rate(input, "inputPerMTok");
  // Providers without prompt caching bill cached tokens like any other prompt token.
  const cachedInputPerMTok =
    input.cachedInputPerMTok === undefined || input.cachedInputPerMTok === null
      ? inputPerMTok
      : rate(input, "cachedInputPerMTok");
  const outputPerMTok = rate(input, "outputPerMTok");
  let effectiveFrom = now.toISOString();
  if (input.effectiveFrom !== undefined) {
    const v = input.effectiveFrom;
    const ms = typeof v === "string" && ISO_INSTANT.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms))
      problems.push({ field: "effectiveFrom", message: "must be an ISO 8601 date or date-time" });
    else effectiveFrom = new Date(ms).toISOString();
  }
  const price: Price = { provider, model, inputPerMTok, cachedInputPerMTok, outputPerMTok, effectiveFrom };
  if (input.tiers !== undefined) {
    if (!Array.isArray(input.tiers)) problems.push({ field: "tiers", message: "must be an array" });
    else
      price.tiers = input.tiers.map((raw, i) => {
        const t = (raw ?? {}) as Record<string, unknown>;
        const above = t.aboveInputTokens;
        if (typeof above !== "number" || !Number.isInteger(above) || above < 0)
          problems.push({ field: `tiers[${i}].aboveInputTokens`, message: "must be a non-negative integer" });
        const tierInput = rate(t, "inputPerMTok", `tiers[${i}].inputPerMTok`);
        return {
          aboveInputTokens: Number(above),
          inputPerMTok: tierInput,
          cachedInputPerMTok:
            t.cachedInputPerMTok === undefined
              ? tierInput
              : rate(t, "cachedInputPerMTok", `tiers[${i}].cachedInputPerMTok`),
          outputPerMTok: rate(t, "outputPerMTok", `tiers[${i}].outputPerMTok`),
        };
      });
  }
  if (input.aliases !== undefined) {
    const a = input.aliases;
    if (!Array.isArray(a) || !a.every((x) => typeof x === "string" && x.length > 0))
      problems.push({ field: "aliases", message: "must be an array of model names" });
    else price.aliases = a as string[];
  }
  if (typeof input.source === "string") price.source = input.source;
  return problems.length ? { problems } : { price, problems: [] };
}

/** 2026-05-01, 2026-05-01T10:00:00Z, 2026-05-01T10:00:00.123+02:00 (a zone is required with a time). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;
