/**
 * The OpenTelemetry implementation of `Tracing` (tracing.ts loads this module only when an OTLP
 * endpoint is configured).
 */
import {
  context as otelContext,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  trace,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { OutgoingCall, TraceParent, Tracing, TracingOptions } from "./tracing.ts";

const headerGetter: TextMapGetter<FastifyRequest["headers"]> = {
  keys: (h) => Object.keys(h),
  get: (h, key) => h[key],
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
/** Probes and scrapes are not traced: they would drown the traces people look for. */
const UNTRACED = new Set(["/health", "/ready", "/metrics", "/api/health", "/api/ready"]);

export class OtelTracing implements Tracing {
  readonly enabled = true;
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly spans = new WeakMap<FastifyRequest, Span>();

  constructor(opts: TracingOptions) {
    const exporter = new OTLPTraceExporter({ url: `${opts.endpoint}/v1/traces` });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({
        "service.name": opts.serviceName,
        ...(opts.serviceVersion ? { "service.version": opts.serviceVersion } : {}),
        ...(opts.instanceId ? { "service.instance.id": opts.instanceId } : {}),
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          ...(opts.exportDelayMs !== undefined ? { scheduledDelayMillis: opts.exportDelayMs } : {}),
        }),
      ],
    });
    this.tracer = this.provider.getTracer("@llmops/shared");
  }

  /** SERVER span per request from its traceparent; ended when the response closes (SSE included). */
  instrument(app: FastifyInstance): void {
    app.addHook("onRequest", (req, reply, done) => {
      const path = req.url.split("?", 1)[0]!;
      if (UNTRACED.has(path)) return done();
      const parent = this.propagator.extract(otelContext.active(), req.headers, headerGetter);
      const span = this.tracer.startSpan(
        `${req.method} ${req.routeOptions.url ?? path}`,
        {
          kind: SpanKind.SERVER,
          attributes: { "http.request.method": req.method, "url.path": path },
        },
        parent,
      );
      this.spans.set(req, span);
      // Log lines of the request carry its trace id (Grafana links them to the trace).
      req.log = req.log.child({ traceId: span.spanContext().traceId });
      reply.raw.once("close", () => {
        const status = reply.raw.statusCode;
        span.setAttribute("http.response.status_code", status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        if (!reply.raw.writableFinished) span.setAttribute("llmops.client_gone", true);
        span.end();
      });
      done();
    });
  }

  parentOf(req: FastifyRequest): TraceParent | undefined {
    const span = this.spans.get(req);
    return span ? trace.setSpan(otelContext.active(), span) : undefined;
  }

  traceIdOf(req: FastifyRequest): string | undefined {
    return this.spans.get(req)?.spanContext().traceId;
  }

  outgoing(
    name: string,
    parent: TraceParent | undefined,
    attributes?: Record<string, string | number | boolean>,
  ): OutgoingCall {
    const ctx = parent ?? otelContext.active();
    const span = this.tracer.startSpan(
      name,
      { kind: SpanKind.CLIENT, ...(attributes ? { attributes } : {}) },
      ctx,
    );
    const carrier: Record<string, string> = {};
    this.propagator.inject(trace.setSpan(ctx, span), carrier, recordSetter);
    let ended = false;
    return {
      traceparent: carrier.traceparent!,
      traceId: span.spanContext().traceId,
      end(status, err) {
        if (ended) return;
        ended = true;
        if (status !== undefined) span.setAttribute("http.response.status_code", status);
        if (err !== undefined) {
          span.recordException(err instanceof Error ? err : String(err));
          span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (status !== undefined && status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
