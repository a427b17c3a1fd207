import type { CostRow } from "./costs.ts";

const CSV_SPECIAL = /[",\r\n]/;
const cell = (v: unknown) => {
  const s = v === undefined || v === null ? "" : String(v);
  return CSV_SPECIAL.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they need it. */
export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  return [columns, ...rows.map((r) => columns.map((c) => r[c]))]
    .map((line) => line.map(cell).join(","))
    .join("\r\n")
    .concat("\r\n");
}

/** The costs API's rows as CSV: the group keys asked for, then the figures. */
export function costsCsv(groupBy: string[], rows: CostRow[]): string {
  const figures = [
    "requests",
    "inputTokens",
    "cachedInputTokens",
    "outputTokens",
    "costUsd",
    "unpricedRequests",
  ];
  return toCsv([...groupBy, ...figures], rows as unknown as Array<Record<string, unknown>>);
}

/**
 * The FinOps FOCUS columns finance tools read (cost and usage per tenant, provider, model and UTC day),
 * plus x_ columns of our own. Costs are exact decimal strings; usage of a model without a price yet is
 * counted in x_UnpricedRequests and not shown as free.
 */
export const FOCUS_COLUMNS = [
  "BillingAccountId",
  "BillingCurrency",
  "BillingPeriodStart",
  "BillingPeriodEnd",
  "ChargePeriodStart",
  "ChargePeriodEnd",
  "ChargeCategory",
  "ChargeDescription",
  "BilledCost",
  "EffectiveCost",
  "ListCost",
  "ContractedCost",
  "ConsumedQuantity",
  "ConsumedUnit",
  "PricingQuantity",
  "PricingUnit",
  "ProviderName",
  "PublisherName",
  "InvoiceIssuerName",
  "ServiceCategory",
  "ServiceName",
  "ResourceId",
  "ResourceName",
  "SubAccountId",
  "SubAccountName",
  "x_Requests",
  "x_InputTokens",
  "x_CachedInputTokens",
  "x_OutputTokens",
  "x_UnpricedRequests",
] as const;

export function focusRows(rows: CostRow[], billingAccount: string): Array<Record<string, unknown>> {
  return rows.map((r) => {
    const day = new Date(`${r.day}T00:00:00Z`);
    const next = new Date(day.getTime() + 86_400_000);
    const month = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
    const nextMonth = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1));
    const tokens = r.inputTokens + r.outputTokens;
    return {
      BillingAccountId: billingAccount,
      BillingCurrency: "USD",
      BillingPeriodStart: month.toISOString(),
      BillingPeriodEnd: nextMonth.toISOString(),
      ChargePeriodStart: day.toISOString(),
      ChargePeriodEnd: next.toISOString(),
      ChargeCategory: "Usage",
      ChargeDescription: `${r.model} tokens on ${r.provider} for ${r.tenant}`,
      BilledCost: r.costUsd,
      EffectiveCost: r.costUsd,
      ListCost: r.costUsd,
      ContractedCost: r.costUsd,
      ConsumedQuantity: tokens,
      ConsumedUnit: "Tokens",
      PricingQuantity: tokens / 1_000_000,
      PricingUnit: "1M Tokens",
      ProviderName: r.provider,
      PublisherName: r.provider,
      InvoiceIssuerName: r.provider,
      ServiceCategory: "AI and Machine Learning",
      ServiceName: r.model,
      ResourceId: `${r.provider}/${r.model}`,
      ResourceName: r.model,
      SubAccountId: r.tenant,
      SubAccountName: r.tenant,
      x_Requests: r.requests,
      x_InputTokens: r.inputTokens,
      x_CachedInputTokens: r.cachedInputTokens,
      x_OutputTokens: r.outputTokens,
      x_UnpricedRequests: r.unpricedRequests,
    };
  });
}
