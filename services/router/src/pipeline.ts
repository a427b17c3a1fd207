/**
 * One chat completion from any transport: model group, the tenant's rpm/tpm, the cache, a slot under
 * MAX_CONCURRENT_REQUESTS (queued for a while when none is free), then the dispatcher. HTTP and
 * WebSocket both come through here, so a limit or a cache rule holds the same on both.
 */
import { ApiError, errors, type TraceParent } from "@llmops/shared";
import type { AnswerCache } from "./cache.ts";
import { RouterCall } from "./call.ts";
import type { Catalogue } from "./catalogue.ts";
import type { Dispatcher, Sink } from "./dispatch.ts";
import type { ConcurrencyGate, RateLimit, RateLimiter } from "./limits.ts";
import type { RouterMetrics } from "./metrics.ts";

export interface PipelineDeps {
  catalogue: Catalogue;
  dispatcher: Dispatcher;
  gate: ConcurrencyGate;
  /** Tenant rpm/tpm (keys are tenants). */
  tenants: RateLimiter;
  tenantLimit: (tenant: string) => RateLimit;
  cache: AnswerCache | null;
  metrics: RouterMetrics;
  requestTimeoutMs: number;
}

export interface ChatInput {
  body: Record<string, unknown> & { model: string };
  tenant: string;
  headers: Record<string, string | string[] | undefined>;
  /** Aborts when the caller goes away. */
  signal: AbortSignal;
  /** The request's span: each attempt's call to the trace proxy is a span under it (when tracing is on). */
  parent?: TraceParent | undefined;
}

export class ChatPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async run(input: ChatInput, sink: Sink): Promise<RouterCall> {
    const { catalogue, metrics } = this.deps;
    const group = catalogue.resolve(input.body.model);
    if (!group)
      throw errors.notFound(
        `The model "${input.body.model}" does not exist. GET /v1/models lists the models.`,
        "model_not_found",
      );
    const stream = input.body.stream === true;
    const call = new RouterCall(
      group,
      input.tenant,
      input.body,
      stream,
      Date.now() + this.deps.requestTimeoutMs,
      input.signal,
    );
    call.parent = input.parent;
    const started = performance.now();
    try {
      await this.admitted(call, input, sink);
    } catch (err) {
      call.status = err instanceof ApiError ? err.statusCode : 500;
      throw err;
    } finally {
      const labels = { model: group.name, stream: String(stream) };
      metrics.requests.inc({
        ...labels,
        provider: call.answeredBy?.provider ?? (call.cache === "HIT" ? "cache" : "none"),
        strategy: group.strategy,
        status: call.gone ? "client_closed" : String(call.status),
      });
      metrics.duration.observe(labels, (performance.now() - started) / 1000);
    }
    return call;
  }

  private async admitted(call: RouterCall, input: ChatInput, sink: Sink): Promise<void> {
    const { tenants, tenantLimit, cache, gate, metrics } = this.deps;
    const limit = tenantLimit(call.tenant);
    const taken = tenants.take(call.tenant, limit, call.estimatedTokens);
    if (!taken.ok) {
      metrics.rejected.inc({ reason: "tenant_rpm_tpm" });
      throw errors.rateLimited(
        `Tenant "${call.tenant}" is over its requests or tokens per minute`,
        taken.retryAfterMs,
        "tenant_rate_limited",
      );
    }
    let used: number | null = null;
    try {
      const decision = cache?.decide(input.body, call.group.name, call.tenant, input.headers);
      if (cache && decision) {
        call.cache = decision.result;
        const hit = decision.read && decision.key ? cache.get(decision.key) : undefined;
        metrics.cache.inc({ result: hit ? "hit" : decision.result.toLowerCase() });
        if (hit) {
          call.cache = "HIT";
          call.status = 200;
          used = 0;
          sink.answer(200, { ...hit.headers, ...call.headers() }, hit.body);
          return;
        }
      }
      const waitStart = performance.now();
      const slot = await gate.acquire(call.signal);
      metrics.queueWait.observe((performance.now() - waitStart) / 1000);
      if (typeof slot === "string") {
        tenants.refund(call.tenant, limit, call.estimatedTokens);
        if (call.signal.aborted) {
          call.gone = true;
          return;
        }
        metrics.rejected.inc({ reason: slot });
        throw errors.rateLimited(
          slot === "queue_full"
            ? "The router is at MAX_CONCURRENT_REQUESTS and its queue is full"
            : "The router is at MAX_CONCURRENT_REQUESTS and no slot freed up in time",
          1_000,
          "router_overloaded",
        );
      }
      try {
        const keep =
          cache && decision?.write && decision.key
            ? (body: Buffer, headers: Record<string, string>) => cache.set(decision.key!, body, headers)
            : null;
        await this.deps.dispatcher.dispatch(call, {
          answer(status, headers, body) {
            // Only the requested group's own answer: a fallback group's answer is never kept under it.
            if (keep && status === 200 && call.answeredBy?.group === call.group.name) keep(body, headers);
            sink.answer(status, headers, body);
          },
          relay: (res, headers, first) => sink.relay(res, headers, first),
        });
        used = call.usedTokens;
      } finally {
        slot();
      }
    } finally {
      tenants.settle(call.tenant, limit, call.estimatedTokens, used);
    }
  }
}
