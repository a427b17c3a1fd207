/**
 * Local budget accounting that bounds overshoot without a network round trip per call.
 *
 * Each replica keeps, per tenant with a budget, the cost API's last budget status and its own share of
 * what was left then (remainingUsd / BUDGET_REPLICAS). Every admitted call of such a tenant reserves its
 * worst-case cost against that share: prompt bound x input rate + output bound x output rate, at the cost
 * API's prices (the same `costOf` the bill uses). A call whose reservation does not fit is refused. When
 * the call ends its reservation becomes its real cost (from the usage the trace records), kept for
 * BUDGET_INGEST_WINDOW_MS after the status it was not yet part of, so a cost the cost API has not ingested
 * yet is never forgotten (one it has is counted twice for a moment: refusing a little early, never late).
 *
 * The status is fetched in the background (per tenant: on first sight, every BUDGET_REFRESH_MS while the
 * tenant calls, at once on an llm.budgets event), so the hot path is a map lookup and, for a tenant with
 * a budget, a few decimal operations.
 */
import type { Logger } from "@llmops/shared";
import {
  compareMoney,
  costOf,
  type PriceBook,
  shareOfMoney,
  subtractMoney,
  sumMoney,
} from "@llmops/shared/pricing";

/** What the cost API says about a tenant's budget (GET /api/v1/budgets/:tenant/status). */
export interface BudgetStatusView {
  tenant: string;
  period: "day" | "month";
  limitUsd: string;
  spentUsd: string;
  remainingUsd: string;
  periodEnd: string;
}

export interface LedgerOptions {
  /** The tenant's status, or null when it has no budget. Rejects when the cost API cannot say. */
  fetchStatus(tenant: string): Promise<BudgetStatusView | null>;
  /** The cost API's prices (null until first loaded). */
  prices(): PriceBook | null;
  /** How many replicas share a tenant's remaining budget (each may spend its share). */
  replicas: number;
  /** Output tokens reserved for a call that sets no max_tokens. */
  defaultMaxOutputTokens: number;
  refreshMs: number;
  /** How long a settled cost is still counted after the status fetched once it ended. */
  ingestWindowMs: number;
  /** A tenant without a budget is asked again after this long (a budget may have been set). */
  noBudgetRefreshMs: number;
  logger: Logger;
  now?: () => number;
}

/** What one admitted call holds against its tenant's share until it ends. */
export interface Reservation {
  tenant: string;
  provider: string;
  model: string;
  /** When the call was priced (its price is the one in force then). */
  at: Date;
  worstUsd: string;
}

/** A call the budget refuses: what it might cost and what is left for it. */
export interface Refusal {
  status: BudgetStatusView;
  worstUsd: string;
  availableUsd: string;
}

/** The worst case a request can cost, from the bytes of its body and the output it may ask for. */
export interface CallBounds {
  /** An upper bound on the prompt's tokens: the request body's UTF-8 bytes (a BPE token is at least one byte). */
  promptTokens: number;
  /** max_completion_tokens / max_tokens / max_output_tokens when the request sets one. */
  maxOutputTokens: number | undefined;
  /** Whether the call produces tokens at all (embeddings do not). */
  generates: boolean;
}

interface TenantBook {
  status: BudgetStatusView | null;
  /** When the fetch behind `status` started (ms): costs settled after it may not be in it. */
  fetchedAt: number;
  known: boolean;
  shareUsd: string;
  held: Set<Reservation>;
  /** Sum of the held reservations' worst cases. */
  heldUsd: string;
  /** Costs of calls ended since (fetchedAt - ingest window), and their sum. */
  settled: { at: number; usd: string }[];
  settledUsd: string;
  refreshing: boolean;
  usedSinceFetch: boolean;
}

export class BudgetLedger {
  private readonly books = new Map<string, TenantBook>();
  private readonly now: () => number;
  /** How often the owner should call tick() (ServiceContext.every): twice per refresh interval. */
  readonly tickMs: number;

  constructor(private readonly opts: LedgerOptions) {
    this.now = opts.now ?? Date.now;
    this.tickMs = Math.max(50, Math.floor(opts.refreshMs / 2));
  }

  /**
   * Admits a call (returning its reservation, or null when its tenant has no budget known here) or
   * refuses it. A tenant seen for the first time is admitted while its status is fetched.
   */
  admit(
    tenant: string,
    provider: string,
    model: string | null,
    bounds: CallBounds,
  ): Reservation | null | Refusal {
    const book = this.books.get(tenant);
    if (!book) {
      this.books.set(tenant, this.newBook());
      this.refresh(tenant);
      return null;
    }
    book.usedSinceFetch = true;
    const status = book.status;
    if (!status) return null;
    const now = this.now();
    if (now >= Date.parse(status.periodEnd)) {
      // A new period: what was left of the last one says nothing; ask, admit meanwhile like a new tenant.
      this.refresh(tenant);
      return null;
    }
    const at = new Date(now);
    const price = model ? this.opts.prices()?.at(provider, model, at) : undefined;
    // An unpriced model's usage is not counted in the spend until a price arrives: nothing to reserve.
    const worstUsd = price
      ? costOf(
          {
            inputTokens: bounds.promptTokens,
            cachedInputTokens: 0,
            outputTokens: bounds.generates ? (bounds.maxOutputTokens ?? this.opts.defaultMaxOutputTokens) : 0,
          },
          price,
        )
      : "0";
    const availableUsd = this.available(book);
    if (compareMoney(worstUsd, availableUsd) > 0 || compareMoney(availableUsd, 0) <= 0)
      return { status, worstUsd, availableUsd };
    const r: Reservation = { tenant, provider, model: model ?? "", at, worstUsd };
    book.held.add(r);
    book.heldUsd = sumMoney([book.heldUsd, worstUsd]);
    return r;
  }

  /** The call ended: its reservation is replaced by what it really cost (never more than was possible to know). */
  settle(
    r: Reservation,
    usage: { inputTokens: number; cachedInputTokens: number; outputTokens: number },
  ): void {
    const book = this.books.get(r.tenant);
    if (!book?.held.delete(r)) return;
    book.heldUsd = subtractMoney(book.heldUsd, r.worstUsd);
    const price = r.model ? this.opts.prices()?.at(r.provider, r.model, r.at) : undefined;
    const usd = price ? costOf(usage, price) : "0";
    if (compareMoney(usd, 0) <= 0) return;
    book.settled.push({ at: this.now(), usd });
    book.settledUsd = sumMoney([book.settledUsd, usd]);
  }

  /** An llm.budgets event (a crossing, a raised limit, a new period): ask for the tenant's status now. */
  changed(tenant: string): void {
    if (!this.books.has(tenant)) this.books.set(tenant, this.newBook());
    this.refresh(tenant);
  }

  /** What this replica may still commit for the tenant (its share minus recent costs and reservations). */
  available(book: TenantBook): string {
    return subtractMoney(book.shareUsd, sumMoney([book.settledUsd, book.heldUsd]));
  }

  /** For tests and the status line: the tenant's book, if any. */
  bookOf(tenant: string): Readonly<TenantBook> | undefined {
    return this.books.get(tenant);
  }

  /** Resolves once no fetch is under way for the tenant and its status is known (tests, warm-up). */
  async known(tenant: string, timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.books.get(tenant)?.known || this.books.get(tenant)?.refreshing) {
      if (Date.now() > until) throw new Error(`budget status of "${tenant}" not known after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private newBook(): TenantBook {
    return {
      status: null,
      fetchedAt: 0,
      known: false,
      shareUsd: "0",
      held: new Set(),
      heldUsd: "0",
      settled: [],
      settledUsd: "0",
      refreshing: false,
      usedSinceFetch: false,
    };
  }

  /** Refreshes the status of every tenant that called since its last one and is due. */
  tick(): void {
    const now = this.now();
    for (const [tenant, book] of this.books) {
      if (book.refreshing || !book.usedSinceFetch) continue;
      const every = book.status ? this.opts.refreshMs : this.opts.noBudgetRefreshMs;
      if (now - book.fetchedAt >= every) this.refresh(tenant);
    }
  }

  private refresh(tenant: string): void {
    const book = this.books.get(tenant);
    if (!book || book.refreshing) return;
    book.refreshing = true;
    const startedAt = this.now();
    this.opts
      .fetchStatus(tenant)
      .then((status) => {
        book.status = status;
        book.fetchedAt = startedAt;
        book.known = true;
        book.usedSinceFetch = false;
        book.shareUsd = status ? shareOfMoney(status.remainingUsd, this.opts.replicas) : "0";
        const since = startedAt - this.opts.ingestWindowMs;
        book.settled = book.settled.filter((s) => s.at >= since);
        book.settledUsd = sumMoney(book.settled.map((s) => s.usd));
      })
      .catch((err) => {
        // The last status stands (fail open for a tenant never known); asked again on the next tick.
        book.known = true;
        this.opts.logger.warn({ tenant, err: (err as Error).message }, "budget status unavailable");
      })
      .finally(() => {
        book.refreshing = false;
      });
  }
}

/** Is this what admit() returns for a refused call? */
export const isRefusal = (x: Reservation | Refusal | null): x is Refusal => x !== null && "availableUsd" in x;
