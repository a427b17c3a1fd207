/**
 * Reads a price table in LiteLLM's published format (model_prices_and_context_window.json): an object
 * keyed by model, USD per token, `litellm_provider`, `cache_read_input_token_cost`, and per-prompt-size
 * tiers as `input_cost_per_token_above_<N>k_tokens` (+ output / cache read at the same size).
 */
import { normalizePrice, type Price, type PriceTier, parseDecimal } from "@llmops/shared/pricing";

/** Kinds of entries billed per token the way costOf bills them. */
const TOKEN_MODES = new Set(["chat", "completion", "embedding", "responses"]);
const TIER_KEY = /^input_cost_per_token_above_(\d+)k_tokens$/;

export interface ImportOptions {
  /** Applies to every price read (ISO instant). */
  effectiveFrom: string;
  source: string;
  /** LiteLLM provider -> the provider names the trace proxy records for it (default: the same name). */
  providerMap?: Record<string, string[]>;
}

export interface ImportResult {
  prices: Price[];
  /** Entries left out, with the reason (not billed per token, no token price, bad figures). */
  skipped: Array<{ key: string; reason: string }>;
}

/** USD per token (a JSON number) -> USD per million tokens, as an exact decimal string. */
function perMTok(v: unknown): string | undefined {
  const d = parseDecimal(v);
  return d ? d.times(1_000_000).toFixed() : undefined;
}

export function readLiteLLMTable(table: unknown, opts: ImportOptions): ImportResult {
  if (!table || typeof table !== "object" || Array.isArray(table))
    throw new Error("a LiteLLM price table is a JSON object keyed by model name");
  const prices: Price[] = [];
  const skipped: ImportResult["skipped"] = [];
  for (const [key, raw] of Object.entries(table as Record<string, unknown>)) {
    if (key === "sample_spec") continue;
    const e = raw as Record<string, unknown>;
    if (!e || typeof e !== "object") {
      skipped.push({ key, reason: "not an object" });
      continue;
    }
    const mode = typeof e.mode === "string" ? e.mode : "chat";
    if (!TOKEN_MODES.has(mode)) {
      skipped.push({ key, reason: `mode ${mode} is not billed per token` });
      continue;
    }
    const provider = typeof e.litellm_provider === "string" ? e.litellm_provider : "";
    if (!provider || e.input_cost_per_token === undefined) {
      skipped.push({ key, reason: "no litellm_provider or input_cost_per_token" });
      continue;
    }
    // Keys of non-default providers carry the provider as a prefix ("gemini/gemini-2.0-flash").
    const model = key.startsWith(`${provider}/`) ? key.slice(provider.length + 1) : key;
    const input = perMTok(e.input_cost_per_token);
    const tiers: PriceTier[] = [];
    for (const k of Object.keys(e)) {
      const m = TIER_KEY.exec(k);
      if (!m) continue;
      const above = Number(m[1]) * 1000;
      const tierInput = perMTok(e[k]);
      tiers.push({
        aboveInputTokens: above,
        inputPerMTok: tierInput!,
        // Without a cache price at this size, cached tokens pay the tier's input rate (no discount assumed).
        cachedInputPerMTok: perMTok(e[`cache_read_input_token_cost_above_${m[1]}k_tokens`]) ?? tierInput!,
        outputPerMTok: perMTok(e[`output_cost_per_token_above_${m[1]}k_tokens`] ?? e.output_cost_per_token)!,
      });
    }
    for (const ours of opts.providerMap?.[provider] ?? [provider]) {
      const r = normalizePrice({
        provider: ours,
        model,
        inputPerMTok: input,
        cachedInputPerMTok: perMTok(e.cache_read_input_token_cost),
        outputPerMTok: perMTok(e.output_cost_per_token ?? 0),
        effectiveFrom: opts.effectiveFrom,
        source: opts.source,
        ...(tiers.length ? { tiers: tiers.sort((a, b) => a.aboveInputTokens - b.aboveInputTokens) } : {}),
      });
      if (r.price) prices.push(r.price);
      else skipped.push({ key, reason: r.problems.map((p) => `${p.field} ${p.message}`).join("; ") });
    }
  }
  return { prices, skipped };
}
