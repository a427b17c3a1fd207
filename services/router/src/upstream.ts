/**
 * The router's only way out: the trace proxy, so every call is traced exactly once. One keep-alive
 * pool; each attempt names the deployment's provider (x-llm-provider) and the caller's tenant
 * (x-llm-tenant, which the proxy accepts from the router's admin key). With tracing on, each attempt
 * is a CLIENT span under the request's span and carries its W3C traceparent, so the proxy's span and
 * the upstream call join the same trace.
 *
 * The exchange is an undici dispatch handler rather than `request()`: no response stream object, no
 * body mixin, the chunks arrive in callbacks and are handed out as one buffer or as an async
 * iterable. On the router's hot path that is the difference between one object per call and a dozen.
 */
import type { IncomingHttpHeaders } from "node:http";
import { type TraceParent, type Tracing, tracingOff, type OutgoingCall } from "@llmops/shared";
import { type Dispatcher, Pool } from "undici";
import type { Deployment } from "./catalogue.ts";

/** Response headers not copied to the client: hop-by-hop and framing (fastify frames the answer). */
const DROP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "date",
  "x-llm-provider",
]);

/** Chunks a stream's reader may fall behind by before the proxy connection is paused. */
const STREAM_HIGH_WATER = 16;

export interface ProxyResponse {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  /** Milliseconds the proxy (or the provider behind it) asked us to wait, from Retry-After. */
  retryAfterMs: number | undefined;
  /** The whole body, once it has arrived. */
  buffer(): Promise<Buffer>;
  /** The body as it arrives; read it or buffer it, not both. */
  stream(): AsyncIterable<Buffer>;
}

function retryAfter(h: IncomingHttpHeaders): number | undefined {
  const v = h["retry-after"];
  if (typeof v !== "string") return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class TraceProxyClient {
  private readonly pool: Pool;
  private readonly origin: string;
  constructor(
    baseUrl: string,
    private readonly serviceKey: string,
    connections: number,
    private readonly tracing: Tracing = tracingOff,
  ) {
    this.origin = new URL(baseUrl).origin;
    this.pool = new Pool(this.origin, { connections, keepAliveTimeout: 30_000 });
  }

  /** Resolves with the response head; rejects when the request fails before it (or the caller left). */
  send(
    d: Deployment,
    tenant: string,
    body: unknown,
    /** How long to wait for the response headers, and at most between two body chunks. */
    timeout: number,
    signal: AbortSignal,
    parent?: TraceParent,
  ): Promise<ProxyResponse> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      authorization: `Bearer ${this.serviceKey}`,
      "x-llm-provider": d.provider,
      "x-llm-tenant": tenant,
    };
    const span = this.tracing.outgoing("POST /v1/chat/completions", parent, {
      "server.address": this.origin,
      "gen_ai.provider.name": d.provider,
      "gen_ai.request.model": d.model,
    });
    if (span) headers.traceparent = span.traceparent;
    const exchange = new Exchange(signal, span);
    this.pool.dispatch(
      {
        path: "/v1/chat/completions",
        method: "POST",
        headers,
        body: JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      },
      exchange,
    );
    return exchange.head;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * One attempt's exchange with the proxy. It is the response too: the head promise resolves with it,
 * and its body is read from the chunks the handler has collected so far.
 */
class Exchange implements Dispatcher.DispatchHandler, ProxyResponse {
  status = 0;
  contentType = "";
  headers: Record<string, string> = {};
  retryAfterMs: number | undefined;
  readonly head: Promise<ProxyResponse>;
  private resolveHead!: (r: ProxyResponse) => void;
  private rejectHead!: (err: Error) => void;
  private controller: Dispatcher.DispatchController | null = null;
  private chunks: Buffer[] = [];
  private ended = false;
  private failure: Error | null = null;
  /** A reader waiting for the next chunk, the end or the failure. */
  private wake: (() => void) | null = null;
  private streaming = false;
  private readonly onAbort = () => this.controller?.abort(this.signal.reason);

  constructor(
    private readonly signal: AbortSignal,
    private readonly span: OutgoingCall | undefined,
  ) {
    this.head = new Promise((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The caller may have left while the request waited for a pooled connection.
    if (this.signal.aborted) controller.abort(this.signal.reason);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // informational (1xx): the real head follows
    this.status = statusCode;
    this.contentType = String(headers["content-type"] ?? "");
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined && !DROP.has(k)) this.headers[k] = String(v);
    }
    this.retryAfterMs = retryAfter(headers);
    this.resolveHead(this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    if (this.streaming && this.chunks.length >= STREAM_HIGH_WATER) controller.pause();
    this.notify();
  }

  onResponseEnd(): void {
    this.ended = true;
    this.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    this.failure = err;
    if (this.status === 0) this.rejectHead(err);
    this.finish();
  }

  async buffer(): Promise<Buffer> {
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await this.next();
    }
    const { chunks } = this;
    this.chunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }

  async *stream(): AsyncIterable<Buffer> {
    this.streaming = true;
    try {
      for (;;) {
        if (this.chunks.length) {
          const batch = this.chunks;
          this.chunks = [];
          if (!this.ended && !this.failure) this.controller?.resume();
          yield* batch;
        } else if (this.failure) throw this.failure;
        else if (this.ended) return;
        else await this.next();
      }
    } finally {
      // A reader that stopped early (its client left) frees the connection rather than draining it.
      if (!this.ended && !this.failure) this.controller?.abort(new Error("stream reader stopped"));
    }
  }

  private next(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private finish(): void {
    this.signal.removeEventListener("abort", this.onAbort);
    // The span covers the whole exchange: it ends with the body, or with the failure before the head.
    if (this.status) this.span?.end(this.status);
    else this.span?.end(undefined, this.failure);
    this.notify();
  }
}
