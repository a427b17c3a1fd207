import { describe, expect, it } from "vitest";
import {
  compareMoney,
  costOf,
  normalizePrice,
  type Price,
  PriceBook,
  priceAt,
  shareOfMoney,
  sumMoney,
} from "../src/pricing.ts";

const price = (over: Partial<Price> = {}): Price => ({
  provider: "openai",
  model: "gpt-4o",
  inputPerMTok: "2.5",
  cachedInputPerMTok: "1.25",
  outputPerMTok: "10",
  effectiveFrom: "2024-08-06T00:00:00.000Z",
  ...over,
});

describe("costOf", () => {
  it("bills uncached prompt, cached prompt and output tokens each at their own rate, once", () => {
    // (1000 - 400) x 2.5 + 400 x 1.25 + 200 x 10 = 1500 + 500 + 2000 = 4000 micro-dollars
    expect(costOf({ inputTokens: 1000, cachedInputTokens: 400, outputTokens: 200 }, price())).toBe("0.004");
  });

  it("is exact where binary floats are not (0.1 + 0.2, sub-micro-dollar rates)", () => {
    const p = price({ inputPerMTok: "0.1", cachedInputPerMTok: "0.1", outputPerMTok: "0.2" });
    expect(costOf({ inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }, p)).toBe("0.0000003");
    expect(0.1 / 1e6 + 0.2 / 1e6).not.toBe(0.0000003);
    const tiny = price({ inputPerMTok: "0.000001", cachedInputPerMTok: "0", outputPerMTok: "0" });
    expect(costOf({ inputTokens: 3, cachedInputTokens: 0, outputTokens: 0 }, tiny)).toBe("0.000000000003");
  });

  it("stays exact at a billion tokens", () => {
    const p = price({ inputPerMTok: "3.333333", cachedInputPerMTok: "0.333333", outputPerMTok: "15.000001" });
    expect(
      costOf({ inputTokens: 1_000_000_007, cachedInputTokens: 999_999_999, outputTokens: 123_456_789 }, p),
    ).toBe("2185.18498479012"); // 8 x 3.333333 + 999999999 x 0.333333 + 123456789 x 15.000001, over 1e6
  });

  it("never bills negative tokens when a provider reports more cached than prompt tokens", () => {
    expect(costOf({ inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 }, price())).toBe("0.0000125");
  });

  it("zero usage costs zero; a free model costs zero", () => {
    expect(costOf({ inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 }, price())).toBe("0");
    const free = price({ inputPerMTok: "0", cachedInputPerMTok: "0", outputPerMTok: "0" });
    expect(costOf({ inputTokens: 5, cachedInputTokens: 0, outputTokens: 5 }, free)).toBe("0");
  });

  it("bills the whole call at the highest tier whose prompt threshold it is above", () => {
    const p = price({
      model: "gemini-1.5-pro",
      inputPerMTok: "1.25",
      cachedInputPerMTok: "0.3125",
      outputPerMTok: "5",
      tiers: [
        { aboveInputTokens: 128_000, inputPerMTok: "2.5", cachedInputPerMTok: "0.625", outputPerMTok: "10" },
        { aboveInputTokens: 1_000_000, inputPerMTok: "5", cachedInputPerMTok: "1.25", outputPerMTok: "20" },
      ],
    });
    const at = (n: number) => costOf({ inputTokens: n, cachedInputTokens: 0, outputTokens: 1000 }, p);
    expect(at(128_000)).toBe("0.165"); // 128000 x 1.25 + 1000 x 5: at the threshold, still the base rate
    expect(at(128_001)).toBe("0.3300025"); // 128001 x 2.5 + 1000 x 10
    expect(at(2_000_000)).toBe("10.02"); // 2e6 x 5 + 1000 x 20
  });
});

describe("priceAt", () => {
  const old = price({ inputPerMTok: "5", outputPerMTok: "15", effectiveFrom: "2024-05-13T00:00:00Z" });
  const cut = price({ effectiveFrom: "2024-10-01T00:00:00Z", aliases: ["gpt-4o-2024-08-06"] });
  const table = [cut, old];

  it("picks the price in force at the time of the call, so old usage keeps its old price", () => {
    expect(priceAt(table, "openai", "gpt-4o", "2024-06-01T00:00:00Z")).toBe(old);
    expect(priceAt(table, "openai", "gpt-4o", "2024-10-01T00:00:00Z")).toBe(cut);
    expect(priceAt(table, "openai", "gpt-4o", new Date("2025-01-01T00:00:00Z"))).toBe(cut);
  });

  it("has no price before the first effective date", () => {
    expect(priceAt(table, "openai", "gpt-4o", "2024-01-01T00:00:00Z")).toBeUndefined();
  });

  it("matches declared aliases exactly and nothing fuzzy", () => {
    expect(priceAt(table, "openai", "gpt-4o-2024-08-06", "2025-01-01T00:00:00Z")).toBe(cut);
    for (const near of ["gpt-4o-mini", "GPT-4o", "gpt-4o ", "gpt-4", "openai/gpt-4o"])
      expect(priceAt(table, "openai", near, "2025-01-01T00:00:00Z")).toBeUndefined();
  });

  it("is per provider; a '*' price covers providers without their own", () => {
    const any = price({ provider: "*", inputPerMTok: "9" });
    const all = [...table, any];
    expect(priceAt(table, "azure", "gpt-4o")).toBeUndefined();
    expect(priceAt(all, "azure", "gpt-4o")).toBe(any);
    expect(priceAt(all, "openai", "gpt-4o")).toBe(cut);
  });

  it("PriceBook answers like priceAt", () => {
    const any = price({ provider: "*", model: "llama", effectiveFrom: "2024-01-01T00:00:00Z" });
    const all = [...table, any];
    const book = new PriceBook(all);
    for (const [prov, model] of [
      ["openai", "gpt-4o"],
      ["openai", "gpt-4o-2024-08-06"],
      ["openai", "llama"],
      ["azure", "gpt-4o"],
      ["openai", "nope"],
    ] as const)
      for (const at of ["2023-01-01T00:00:00Z", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"])
        expect(book.at(prov, model, at)).toBe(priceAt(all, prov, model, at));
  });
});

describe("normalizePrice", () => {
  const now = new Date("2026-01-01T00:00:00Z");

  it("accepts numbers and decimal strings, defaults cached to the input rate and effectiveFrom to now", () => {
    const r = normalizePrice(
      { provider: "openai", model: "m", inputPerMTok: 0.15, outputPerMTok: "0.60" },
      now,
    );
    expect(r.problems).toEqual([]);
    expect(r.price).toEqual({
      provider: "openai",
      model: "m",
      inputPerMTok: "0.15",
      cachedInputPerMTok: "0.15",
      outputPerMTok: "0.6",
      effectiveFrom: "2026-01-01T00:00:00.000Z",
    });
  });

  it("names every bad field", () => {
    const r = normalizePrice(
      {
        provider: "",
        model: "m",
        inputPerMTok: -1,
        cachedInputPerMTok: "abc",
        outputPerMTok: "1e400x",
        effectiveFrom: "yesterday",
        tiers: [{ aboveInputTokens: -5, inputPerMTok: 1, outputPerMTok: 2 }],
      },
      now,
    );
    expect(r.problems.map((p) => p.field)).toEqual([
      "provider",
      "inputPerMTok",
      "cachedInputPerMTok",
      "outputPerMTok",
      "effectiveFrom",
      "tiers[0].aboveInputTokens",
    ]);
  });

  it("rejects a date-time without a zone (its instant would depend on the server's clock)", () => {
    const r = normalizePrice(
      { provider: "p", model: "m", inputPerMTok: 1, outputPerMTok: 1, effectiveFrom: "2026-01-01T10:00:00" },
      now,
    );
    expect(r.problems.map((p) => p.field)).toEqual(["effectiveFrom"]);
  });
});

describe("money helpers", () => {
  it("sum and compare exactly", () => {
    expect(sumMoney(["0.1", "0.2", 0.3])).toBe("0.6");
    expect(compareMoney("10.000000001", 10)).toBe(1);
    expect(compareMoney("8", "8.0")).toBe(0);
  });

  it("split into shares rounded down, so the shares never add up to more than the whole", () => {
    expect(shareOfMoney("30", 3)).toBe("10");
    expect(shareOfMoney("2", 3)).toBe("0.66666666666666666666");
    expect(compareMoney(sumMoney(Array(3).fill(shareOfMoney("2", 3))), "2")).toBe(-1);
    expect(() => shareOfMoney("1", 0)).toThrow(RangeError);
  });
});
