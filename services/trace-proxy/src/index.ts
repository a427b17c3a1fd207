export { buildTraceProxy, type TraceProxy } from "./app.ts";
export { BudgetGuard } from "./budgets.ts";
export { loadTraceProxyConfig, type TraceProxyConfig } from "./config.ts";
export { analyzeRequest, analyzeText, RULES } from "./security.ts";
