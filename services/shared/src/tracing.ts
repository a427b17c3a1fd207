/**
 * Distributed tracing with OpenTelemetry: a SERVER span per HTTP request (continuing the caller's W3C
 * traceparent) and CLIENT spans for the calls a service makes, exported over OTLP/HTTP (JSON) in
 * batches to OTEL_EXPORTER_OTLP_ENDPOINT. Without that variable nothing is loaded and no hook is
 * registered: `tracingOff` answers every question with undefined, so the request path pays nothing.
 *
 * Spans are passed explicitly (a request's span, then the call's) rather than through an async
 * context manager: the services know exactly where a request goes out, and AsyncLocalStorage on
 * every await would cost the hot path even for requests nobody samples.
 */
import type { Context } from "@opentelemetry/api";
import type { FastifyInstance, FastifyRequest } from "fastify";

/** Where a span continues from: opaque to services, handed from a request to its outgoing calls. */
export type TraceParent = Context;

export interface OutgoingCall {
  /** The W3C traceparent header for the outgoing request: the CLIENT span's context. */
  readonly traceparent: string;
  readonly traceId: string;
  /** Ends the CLIENT span with the status the callee answered (or the error). */
  end(status?: number, err?: unknown): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /** The request's SERVER span as a parent for its outgoing calls (undefined when off). */
  parentOf(req: FastifyRequest): TraceParent | undefined;
  /** The trace id the request belongs to (undefined when off). */
  traceIdOf(req: FastifyRequest): string | undefined;
  /** Starts a CLIENT span under `parent` (a new trace when there is none); undefined when off. */
  outgoing(
    name: string,
    parent: TraceParent | undefined,
    attributes?: Record<string, string | number | boolean>,
  ): OutgoingCall | undefined;
  /** Exports what is buffered and stops (runtime shutdown). */
  shutdown(): Promise<void>;
}

export const tracingOff: Tracing = {
  enabled: false,
  parentOf: () => undefined,
  traceIdOf: () => undefined,
  outgoing: () => undefined,
  shutdown: async () => {},
};

export interface TracingOptions {
  /** OTLP/HTTP base URL (the collector); spans go to <endpoint>/v1/traces. */
  endpoint: string;
  serviceName: string;
  serviceVersion?: string;
  instanceId?: string;
  /** Batch delay (ms) before an export; the SDK's default is 5 s. */
  exportDelayMs?: number;
}

/** The OTLP endpoint from the env, or undefined when tracing is off (the default, `npm start`). */
export function tracingEndpoint(env: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}): string | undefined {
  const v = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return v ? v.replace(/\/+$/, "") : undefined;
}

/**
 * Tracing for a service, hooked into its server; `tracingOff` when no endpoint is configured. The
 * OpenTelemetry SDK is loaded only then, so a service without tracing never even imports it.
 */
export async function createTracing(
  app: FastifyInstance,
  opts: TracingOptions | undefined,
): Promise<Tracing> {
  if (!opts) return tracingOff;
  const { OtelTracing } = await import("./tracing-otel.ts");
  const t = new OtelTracing(opts);
  t.instrument(app);
  return t;
}
