import { Counter, type Registry } from "@llmops/shared";

/** Router metrics: what was asked (by model group) and what each attempt at a deployment gave. */
export function routerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: "router_requests_total",
      help: "Chat completions by model group, the provider that answered, status and streaming",
      labelNames: ["model", "provider", "status", "stream"],
      registers,
    }),
    attempts: new Counter({
      name: "router_attempts_total",
      help: "Attempts at a deployment by outcome (ok, HTTP status, error, stream_cut)",
      labelNames: ["model", "provider", "outcome"],
      registers,
    }),
    failovers: new Counter({
      name: "router_failovers_total",
      help: "Attempts beyond the first: another deployment or a fallback group",
      labelNames: ["model"],
      registers,
    }),
  };
}

export type RouterMetrics = ReturnType<typeof routerMetrics>;
