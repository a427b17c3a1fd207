/**
 * The router's only way out: the trace proxy, so every call is traced exactly once. One keep-alive
 * pool; each attempt names the deployment's provider (x-llm-provider) and the caller's tenant
 * (x-llm-tenant, which the proxy accepts from the router's admin key). With tracing on, each attempt
 * is a CLIENT span under the request's span and carries its W3C traceparent, so the proxy's span and
 * the upstream call join the same trace.
 */
import type { IncomingHttpHeaders } from "node:http";
import { type TraceParent, type Tracing, tracingOff } from "@llmops/shared";
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

export interface ProxyResponse {
  status: number;
  contentType: string;
  headers: Record<string, string>;
  /** Milliseconds the proxy (or the provider behind it) asked us to wait, from Retry-After. */
  retryAfterMs: number | undefined;
  buffer(): Promise<Buffer>;
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

  async send(
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
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        path: "/v1/chat/completions",
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      span?.end(undefined, err);
      throw err;
    }
    // The span covers the whole exchange: it ends when the body is read to its end or dropped.
    if (span) res.body.once("close", () => span.end(res.statusCode));
    const answer: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers))
      if (v !== undefined && !DROP.has(k)) answer[k] = String(v);
    return {
      status: res.statusCode,
      contentType: String(res.headers["content-type"] ?? ""),
      headers: answer,
      retryAfterMs: retryAfter(res.headers),
      buffer: async () => Buffer.from(await res.body.arrayBuffer()),
      stream: () => res.body as AsyncIterable<Buffer>,
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
