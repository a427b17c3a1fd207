import type { Logger, TraceEvent } from "@llmops/shared";
import type { Call, CallRecorder } from "./call.ts";
import type { ProxyMetrics } from "./metrics.ts";
import type { TraceStore } from "./store.ts";

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * A finished call becomes metrics, a stored trace and one llm.traces event. The event is handed to the
 * bus without waiting: recording never delays or fails the client's answer.
 */
export class TraceRecorder implements CallRecorder {
  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly store: TraceStore,
    private readonly publish: (event: TraceEvent) => Promise<void>,
    /** Provider names we route to: label values stay bounded (x-llm-provider comes from the client). */
    private readonly providers: ReadonlySet<string>,
    private readonly logger: Logger,
  ) {}

  private readonly published = (): void => {
    this.metrics.traces.inc({ result: "published" });
  };

  record(call: Call): void {
    const { metrics } = this;
    const status = call.status;
    metrics.inFlight.dec();
    const latencyMs = round3(performance.now() - call.t0);
    const model = metrics.modelLabel(call.model);
    const provider = this.providers.has(call.provider) ? call.provider : "unknown";
    metrics.requests.inc({ provider, model, status: String(status), stream: String(call.stream) });
    metrics.duration.observe({ provider, model, operation: call.operation }, latencyMs / 1000);
    if (call.ttftMs !== null) metrics.ttft.observe({ provider, model }, call.ttftMs / 1000);
    if (call.errorType) metrics.errors.inc({ provider, type: call.errorType });
    const u = call.usage;
    if (u.inputTokens) metrics.tokens.inc({ provider, model, type: "input" }, u.inputTokens);
    if (u.outputTokens) metrics.tokens.inc({ provider, model, type: "output" }, u.outputTokens);
    if (u.cachedInputTokens)
      metrics.tokens.inc({ provider, model, type: "cached_input" }, u.cachedInputTokens);

    const attributes: TraceEvent["attributes"] = {
      "gen_ai.operation.name": call.operation,
      "gen_ai.provider.name": call.provider,
      "gen_ai.usage.input_tokens": u.inputTokens,
      "gen_ai.usage.output_tokens": u.outputTokens,
      "gen_ai.usage.cache_read.input_tokens": u.cachedInputTokens,
      "http.response.status_code": status,
    };
    if (call.model) attributes["gen_ai.request.model"] = call.model;
    if (call.responseModel) attributes["gen_ai.response.model"] = call.responseModel;
    if (call.responseId) attributes["gen_ai.response.id"] = call.responseId;
    if (call.finishReasons?.length) attributes["gen_ai.response.finish_reasons"] = call.finishReasons;
    if (call.errorType) attributes["error.type"] = call.errorType;
    const event: TraceEvent = {
      v: 1,
      id: call.id,
      traceId: call.traceId,
      tenant: call.tenant,
      provider: call.provider,
      model: call.model,
      operation: call.operation,
      stream: call.stream,
      startedAt: call.startedAt,
      latencyMs,
      ttftMs: call.ttftMs === null ? null : round3(call.ttftMs),
      status,
      errorType: call.errorType,
      usage: { ...u },
      securityFlags: call.securityFlags,
      securityScore: call.securityScore,
      attributes,
    };
    this.store.add(event);
    this.publish(event).then(this.published, (err) => {
      metrics.traces.inc({ result: "publish_failed" });
      this.logger.error({ err: (err as Error).message, traceId: call.id }, "trace event not published");
    });
  }
}
