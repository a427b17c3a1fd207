import { createLogger } from "@llmops/shared";
import { type Price, PriceBook } from "@llmops/shared/pricing";
import { describe, expect, it } from "vitest";
import { type BudgetStatusView, BudgetLedger, isRefusal, type Reservation } from "../src/ledger.ts";

// $1 per input token, $2 per output token: worst cases are easy to read.
const PRICE: Price = {
  provider: "openai",
  model: "gpt-x",
  inputPerMTok: "1000000",
  cachedInputPerMTok: "500000",
  outputPerMTok: "2000000",
  effectiveFrom: "2020-01-01T00:00:00.000Z",
};

const status = (remainingUsd: string, over: Partial<BudgetStatusView> = {}): BudgetStatusView => ({
  tenant: "acme",
  period: "day",
  limitUsd: "100",
  spentUsd: "0",
  remainingUsd,
  periodEnd: "2030-01-01T00:00:00.000Z",
  ...over,
});

/** A ledger on a manual clock whose cost API answers with `answers` (a status, null = no budget, or an Error). */
function ledger(answers: Record<string, BudgetStatusView | null | Error>, replicas = 1) {
  let clock = Date.parse("2026-05-10T12:00:00Z");
  const fetched: string[] = [];
  const l = new BudgetLedger({
    fetchStatus: async (tenant) => {
      fetched.push(tenant);
      const a = answers[tenant];
      if (a instanceof Error) throw a;
      return a ?? null;
    },
    prices: () => new PriceBook([PRICE]),
    replicas,
    defaultMaxOutputTokens: 10,
    refreshMs: 1000,
    ingestWindowMs: 5000,
    noBudgetRefreshMs: 30_000,
    logger: createLogger("ledger", "silent"),
    now: () => clock,
  });
  return {
    l,
    fetched,
    advance: (ms: number) => (clock += ms),
    /** First sight of the tenant, then its status known. */
    warm: async (tenant = "acme") => {
      l.admit(tenant, "openai", "gpt-x", { promptTokens: 1, maxOutputTokens: 0, generates: true });
      await l.known(tenant);
    },
  };
}

const bounds = (promptTokens: number, maxOutputTokens?: number) => ({
  promptTokens,
  maxOutputTokens,
  generates: true,
});
const held = (r: ReturnType<BudgetLedger["admit"]>): Reservation => {
  if (r === null || isRefusal(r)) throw new Error(`expected a reservation, got ${JSON.stringify(r)}`);
  return r;
};

describe("BudgetLedger: worst-case reservations against the tenant's remaining budget", () => {
  it("admits a tenant seen for the first time while its status is fetched, and one without a budget with no reservation", async () => {
    const { l, fetched } = ledger({ acme: null });
    expect(l.admit("acme", "openai", "gpt-x", bounds(5))).toBeNull();
    await l.known("acme");
    expect(fetched).toEqual(["acme"]);
    expect(l.admit("acme", "openai", "gpt-x", bounds(1_000_000))).toBeNull();
  });

  it("reserves prompt bound x input rate + max tokens (or the default) x output rate, and refuses what does not fit", async () => {
    const { l, warm } = ledger({ acme: status("50") });
    await warm();
    expect(held(l.admit("acme", "openai", "gpt-x", bounds(4, 3))).worstUsd).toBe("10"); // 4 x $1 + 3 x $2
    expect(held(l.admit("acme", "openai", "gpt-x", bounds(5))).worstUsd).toBe("25"); // 5 x $1 + 10 x $2
    // $15 left after the two calls in flight: a $16 call does not fit, a $15 one does, then nothing does.
    const refused = l.admit("acme", "openai", "gpt-x", bounds(6, 5));
    expect(refused).toMatchObject({ worstUsd: "16", availableUsd: "15" });
    expect(held(l.admit("acme", "openai", "gpt-x", bounds(5, 5))).worstUsd).toBe("15");
    expect(isRefusal(l.admit("acme", "openai", "gpt-x", bounds(0, 0)))).toBe(true);
  });

  it("settles a call at its real cost, freeing the rest of its reservation", async () => {
    const { l, warm } = ledger({ acme: status("30") });
    await warm();
    const r = held(l.admit("acme", "openai", "gpt-x", bounds(10, 10))); // $30
    expect(isRefusal(l.admit("acme", "openai", "gpt-x", bounds(1, 0)))).toBe(true);
    l.settle(r, { inputTokens: 4, cachedInputTokens: 2, outputTokens: 3 }); // 2 x $1 + 2 x $0.5 + 3 x $2 = $9
    expect(l.available(l.bookOf("acme")!)).toBe("21");
    l.settle(r, { inputTokens: 100, cachedInputTokens: 0, outputTokens: 0 }); // twice: no effect
    expect(l.available(l.bookOf("acme")!)).toBe("21");
  });

  it("gives each of R replicas remaining / R", async () => {
    const { l, warm } = ledger({ acme: status("30") }, 3);
    await warm();
    expect(l.available(l.bookOf("acme")!)).toBe("10");
    expect(isRefusal(l.admit("acme", "openai", "gpt-x", bounds(11, 0)))).toBe(true);
    held(l.admit("acme", "openai", "gpt-x", bounds(10, 0)));
  });

  it("keeps counting a finished call's cost until a status fetched an ingest window after it ended", async () => {
    const answers: Record<string, BudgetStatusView> = { acme: status("30") };
    const { l, warm, advance } = ledger(answers);
    await warm();
    l.settle(held(l.admit("acme", "openai", "gpt-x", bounds(10, 0))), {
      inputTokens: 10,
      cachedInputTokens: 0,
      outputTokens: 0,
    });
    // The cost API has not ingested it yet: its next status still says $30 left, the call is still counted.
    advance(1000);
    l.changed("acme");
    await l.known("acme");
    expect(l.available(l.bookOf("acme")!)).toBe("20");
    // Long after, the cost API's status includes it: counted once.
    answers.acme = status("20", { spentUsd: "80" });
    advance(6000);
    l.changed("acme");
    await l.known("acme");
    expect(l.available(l.bookOf("acme")!)).toBe("20");
  });

  it("refuses any call once nothing is left, even of a model without a price; an unpriced model reserves nothing otherwise", async () => {
    const { l, warm } = ledger({ acme: status("0", { spentUsd: "100" }), beta: status("1") });
    await warm();
    expect(isRefusal(l.admit("acme", "openai", "no-price", bounds(1)))).toBe(true);
    await warm("beta");
    expect(held(l.admit("beta", "openai", "no-price", bounds(1_000_000))).worstUsd).toBe("0");
  });

  it("after the period ends, admits and asks again; a cost API failure keeps the last status", async () => {
    const answers: Record<string, BudgetStatusView | Error> = {
      acme: status("0", { periodEnd: "2026-05-10T12:00:01.000Z" }),
    };
    const { l, warm, advance, fetched } = ledger(answers);
    await warm();
    expect(isRefusal(l.admit("acme", "openai", "gpt-x", bounds(1)))).toBe(true);
    answers.acme = new Error("connection refused");
    advance(2000);
    expect(l.admit("acme", "openai", "gpt-x", bounds(1))).toBeNull();
    await l.known("acme");
    expect(fetched.length).toBe(2);
    expect(l.bookOf("acme")!.status?.remainingUsd).toBe("0");
  });
});
