import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { StringDecoder } from "node:string_decoder";
import {
  ApiError,
  bearerToken,
  type EventBus,
  errors,
  type KeyStore,
  TOPICS,
  type TraceEvent,
} from "@llmops/shared";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Pool, errors as undiciErrors } from "undici";
import type { BudgetGuard } from "./budgets.ts";
import type { ProviderConfig } from "./config.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { analyzeRequest } from "./security.ts";
import type { TraceStore } from "./store.ts";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/** Everything known about one call; becomes the llm.traces event. */
export interface CallContext {
  id: string;
  traceId: string;
  startedAt: string;
  t0: number;
  tenant: string;
  provider: string;
  model: string | null;
  operation: string;
  stream: boolean;
  status: number;
  errorType: string | null;
  ttftMs: number | null;
  usage: Usage;
  securityScore: number;
  securityFlags: string[];
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  /** The response is streamed by us (hijacked): we record when the stream ends. */
  streaming: boolean;
  recorded: boolean;
  /** Abort signal of the upstream request while one is in progress (undici accepts an EventEmitter). */
  abort: EventEmitter | null;
  /** The client went away before we finished answering. */
  clientGone: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    call?: CallContext;
    rawBody?: Buffer;
  }
}

export class Upstream {
  readonly pool: Pool;
  readonly basePath: string;
  readonly stripV1: boolean;
  constructor(
    readonly cfg: ProviderConfig,
    connections: number,
    timeoutMs: number,
  ) {
    const u = new URL(cfg.url);
    this.basePath = u.pathname.replace(/\/+$/, "");
    this.stripV1 = this.basePath.endsWith("/v1");
    this.pool = new Pool(u.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: Math.min(timeoutMs, 10_000) },
    });
  }
  /** /v1/chat/completions -> <base>/v1/chat/completions (no double /v1 when the base already ends in /v1). */
  path(url: string): string {
    return this.basePath + (this.stripV1 ? url.slice(3) : url);
  }
}

export interface ProxyOptions {
  upstreams: Map<string, Upstream>;
  defaultProvider: string;
  keys: KeyStore;
  budgets: BudgetGuard;
  metrics: ProxyMetrics;
  store: TraceStore;
  bus: EventBus;
  timeoutMs: number;
  bodyLimit: number;
  security: "on" | "off" | "block";
  securityThreshold: number;
}

/** Request headers never forwarded upstream: client credentials, hop-by-hop, our own routing headers. */
const DROP_REQUEST = new Set([
  "authorization",
  "x-api-key",
  "api-key",
  "cookie",
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "upgrade",
  "proxy-authorization",
  "proxy-connection",
  "expect",
  "accept-encoding",
  "x-llm-provider",
  "x-llm-tenant",
  "trailer",
]);
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "trailer",
  "upgrade",
  "set-cookie",
  "date",
]);

const OPERATIONS: Record<string, string> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "text_completion",
  "/v1/embeddings": "embeddings",
  "/v1/responses": "chat",
  "/v1/models": "list_models",
};

const NULL_USAGE = /,"usage":null/;

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

/** Usage in OpenAI chat/completions, Responses API and Anthropic-compatible shapes. */
export function readUsage(u: any, into: Usage): void {
  if (!u || typeof u !== "object") return;
  into.inputTokens = num(u.prompt_tokens ?? u.input_tokens);
  into.outputTokens = num(u.completion_tokens ?? u.output_tokens);
  into.cachedInputTokens = num(
    u.prompt_tokens_details?.cached_tokens ??
      u.input_tokens_details?.cached_tokens ??
      u.cache_read_input_tokens,
  );
}

function newTraceId(req: FastifyRequest): string {
  const tp = req.headers.traceparent;
  const m = typeof tp === "string" ? /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(tp) : null;
  return m ? m[1]! : randomUUID().replaceAll("-", "");
}

function errorTypeOf(err: unknown): string {
  if (err instanceof ApiError) return err.code ?? err.type;
  const e = err as { code?: string; validation?: unknown; statusCode?: number };
  if (e.validation) return "invalid_request";
  if (e.code === "FST_ERR_CTP_BODY_TOO_LARGE") return "request_too_large";
  if (e.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return "unsupported_media_type";
  if (e instanceof SyntaxError || e.code?.startsWith("FST_ERR_CTP")) return "invalid_json";
  return e.statusCode && e.statusCode < 500 ? "invalid_request" : "internal";
}

const chatBody = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    model: { type: "string", minLength: 1 },
    messages: { type: "array", minItems: 1, items: { type: "object", required: ["role"] } },
    stream: { type: "boolean" },
    stream_options: { type: ["object", "null"] },
  },
};
const modelBody = (field: string) => ({
  type: "object",
  required: ["model", field],
  properties: { model: { type: "string", minLength: 1 }, stream: { type: "boolean" } },
});

/**
 * /v1/* forwarding (encapsulated plugin): auth + provider + budget on request, schema validation per
 * endpoint, security analysis, undici pooled forwarding, SSE pass-through, one trace per call.
 */
export async function proxyRoutes(app: FastifyInstance, opts: ProxyOptions): Promise<void> {
  const { metrics } = opts;

  // Keep the raw bytes: unmodified bodies are forwarded as-is (no re-serialisation).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: opts.bodyLimit },
    (req, body, done) => {
      const buf = body as Buffer;
      req.rawBody = buf;
      if (buf.length === 0) return done(null, undefined);
      let parsed: unknown;
      try {
        parsed = JSON.parse(buf.toString("utf8"));
      } catch (e) {
        return done(
          errors.badRequest(`Malformed JSON body: ${(e as Error).message}`, "invalid_json"),
          undefined,
        );
      }
      // Model and stream flag go on the call before schema validation, so a request that fails
      // validation is still recorded with them (this used to be a preValidation hook: one hook less).
      const ctx = req.call;
      if (ctx && parsed && typeof parsed === "object") {
        const b = parsed as Record<string, unknown>;
        if (typeof b.model === "string") ctx.model = b.model.slice(0, 256);
        ctx.stream = b.stream === true;
      }
      done(null, parsed);
    },
  );
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (req, body, done) => {
    req.rawBody = body as Buffer;
    done(null, body);
  });

  // Hooks are callback-style (no promise per hook per request on the hot path).
  app.addHook("onRequest", (req, reply, done) => {
    try {
      onRequest(req, reply);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  function onRequest(req: FastifyRequest, reply: FastifyReply): void {
    const q = req.url.indexOf("?");
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const ctx: CallContext = {
      id: randomUUID(),
      traceId: newTraceId(req),
      startedAt: new Date().toISOString(),
      t0: performance.now(),
      tenant: "unauthenticated",
      provider: providerName(req.headers["x-llm-provider"]),
      model: null,
      operation: OPERATIONS[path] ?? "other",
      stream: false,
      status: 0,
      errorType: null,
      ttftMs: null,
      usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
      securityScore: 0,
      securityFlags: [],
      streaming: false,
      recorded: false,
      abort: null,
      clientGone: false,
    };
    req.call = ctx;
    metrics.inFlight.inc();
    // One 'close' listener per request does both jobs:
    // - safety net: a client that disconnects before we answered never produces 'finish' (so no
    //   onResponse); record the call as client_aborted when the socket closes. Normal responses are
    //   recorded first.
    // - a client that disconnects while an upstream request is in progress aborts it.
    const raw = reply.raw;
    raw.once("close", () => {
      if (!ctx.recorded && !ctx.streaming) finish(ctx, raw.writableFinished ? reply.statusCode : 499);
      if (ctx.abort !== null && !raw.writableFinished) {
        ctx.clientGone = true;
        ctx.abort.emit("abort");
      }
    });
    const principal = opts.keys.resolve(bearerToken(req.headers.authorization));
    if (!principal) throw errors.unauthorized();
    const asTenant = req.headers["x-llm-tenant"];
    // Tenant keys are bound to their tenant; an admin/service key (e.g. the router's) may act for one.
    ctx.tenant = principal.admin
      ? typeof asTenant === "string" && asTenant
        ? asTenant
        : "admin"
      : principal.tenant!;
    if (!opts.upstreams.has(ctx.provider)) {
      throw errors.badRequest(
        `Unknown provider "${ctx.provider}" (x-llm-provider). Configured providers: ${[...opts.upstreams.keys()].join(", ")}`,
        "unknown_provider",
      );
    }
    const cap = opts.budgets.exceeded(ctx.tenant);
    if (cap) {
      throw errors.budgetExceeded(
        `Budget exceeded for tenant "${ctx.tenant}": spent $${cap.spentUsd.toFixed(2)} of the $${cap.limitUsd.toFixed(2)} ${cap.period === "day" ? "daily" : "monthly"} limit. Requests are refused until the period resets or the budget is raised.`,
      );
    }
  }

  app.addHook("onError", (req, _reply, err, done) => {
    if (req.call && !req.call.errorType) req.call.errorType = errorTypeOf(err);
    done();
  });

  app.addHook("onResponse", (req, reply, done) => {
    const ctx = req.call;
    if (ctx && !ctx.recorded && !ctx.streaming) finish(ctx, reply.statusCode);
    done();
  });

  const defaultProvider = String(opts.defaultProvider).toLowerCase().slice(0, 64);
  const providerName = (h: string | string[] | undefined): string =>
    h === undefined ? defaultProvider : String(h).toLowerCase().slice(0, 64);
  const onPublished = (): void => {
    metrics.traces.inc({ result: "published" });
  };

  function finish(ctx: CallContext, status: number): void {
    if (ctx.recorded) return;
    ctx.recorded = true;
    metrics.inFlight.dec();
    ctx.status = status;
    if (status >= 400 && !ctx.errorType) ctx.errorType = status === 499 ? "client_aborted" : "upstream_error";
    const latencyMs = Math.round((performance.now() - ctx.t0) * 1000) / 1000;
    const model = metrics.modelLabel(ctx.model);
    // Label values must stay bounded: an unknown provider name comes from the client.
    const provider = opts.upstreams.has(ctx.provider) ? ctx.provider : "unknown";
    metrics.requests.inc({
      provider,
      model,
      status: String(status),
      stream: String(ctx.stream),
    });
    metrics.duration.observe({ provider, model, operation: ctx.operation }, latencyMs / 1000);
    if (ctx.ttftMs !== null) metrics.ttft.observe({ provider, model }, ctx.ttftMs / 1000);
    if (ctx.errorType) metrics.errors.inc({ provider, type: ctx.errorType });
    const u = ctx.usage;
    if (u.inputTokens) metrics.tokens.inc({ provider, model, type: "input" }, u.inputTokens);
    if (u.outputTokens) metrics.tokens.inc({ provider, model, type: "output" }, u.outputTokens);
    if (u.cachedInputTokens)
      metrics.tokens.inc({ provider, model, type: "cached_input" }, u.cachedInputTokens);
    const attributes: TraceEvent["attributes"] = {
      "gen_ai.operation.name": ctx.operation,
      "gen_ai.provider.name": ctx.provider,
      "gen_ai.usage.input_tokens": u.inputTokens,
      "gen_ai.usage.output_tokens": u.outputTokens,
      "gen_ai.usage.cache_read.input_tokens": u.cachedInputTokens,
      "http.response.status_code": status,
    };
    if (ctx.model) attributes["gen_ai.request.model"] = ctx.model;
    if (ctx.responseModel) attributes["gen_ai.response.model"] = ctx.responseModel;
    if (ctx.responseId) attributes["gen_ai.response.id"] = ctx.responseId;
    if (ctx.finishReasons?.length) attributes["gen_ai.response.finish_reasons"] = ctx.finishReasons;
    if (ctx.errorType) attributes["error.type"] = ctx.errorType;
    const event: TraceEvent = {
      v: 1,
      id: ctx.id,
      traceId: ctx.traceId,
      tenant: ctx.tenant,
      provider: ctx.provider,
      model: ctx.model,
      operation: ctx.operation,
      stream: ctx.stream,
      startedAt: ctx.startedAt,
      latencyMs,
      ttftMs: ctx.ttftMs === null ? null : Math.round(ctx.ttftMs * 1000) / 1000,
      status,
      errorType: ctx.errorType,
      usage: { ...u },
      securityFlags: ctx.securityFlags,
      securityScore: ctx.securityScore,
      attributes,
    };
    opts.store.add(event);
    opts.bus.publish(TOPICS.traces, ctx.tenant, event).then(onPublished, (err) => {
      metrics.traces.inc({ result: "publish_failed" });
      app.log.error({ err: (err as Error).message, traceId: ctx.id }, "trace event not published");
    });
  }

  const forward = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = req.call!;
    const up = opts.upstreams.get(ctx.provider)!;
    const body = req.body as Record<string, any> | undefined;
    const isJson = !!body && typeof body === "object" && !Buffer.isBuffer(body);

    if (opts.security !== "off" && isJson) {
      const r = analyzeRequest(body);
      ctx.securityScore = r.score;
      ctx.securityFlags = r.flags;
      for (const f of r.flags) metrics.securityFlags.inc({ rule: f });
      if (opts.security === "block" && r.score >= opts.securityThreshold) {
        throw new ApiError(
          400,
          `Request blocked: possible prompt injection (score ${r.score}, rules: ${r.flags.join(", ")})`,
          "invalid_request_error",
          "prompt_injection_detected",
        );
      }
    }

    let payload: Buffer | undefined = req.method === "GET" || req.method === "HEAD" ? undefined : req.rawBody;
    // Ask for the usage chunk when the client did not; it is then filtered out of what the client sees.
    let stripUsage = false;
    if (
      isJson &&
      ctx.stream &&
      (ctx.operation === "chat" || ctx.operation === "text_completion") &&
      !req.url.startsWith("/v1/responses")
    ) {
      if (body.stream_options?.include_usage !== true) {
        stripUsage = true;
        payload = Buffer.from(
          JSON.stringify({
            ...body,
            stream_options: { ...(body.stream_options ?? {}), include_usage: true },
          }),
        );
      }
    }

    const headers: Record<string, string> = {};
    const inHeaders = req.headers;
    for (const k in inHeaders) {
      const v = inHeaders[k];
      if (v === undefined || DROP_REQUEST.has(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    if (up.cfg.apiKey) headers.authorization = `Bearer ${up.cfg.apiKey}`;
    headers["x-request-id"] = String(req.id);
    if (!headers.traceparent)
      headers.traceparent = `00-${ctx.traceId}-${ctx.id.replaceAll("-", "").slice(0, 16)}-01`;

    // TIMEOUT_MS is enforced by the pool: headersTimeout (time to response headers) and bodyTimeout
    // (max idle time between body chunks). The abort signal is for clients that disconnect (the
    // request's 'close' listener, see onRequest, emits it while ctx.abort is set).
    // undici accepts an EventEmitter as the abort signal; it is much cheaper than an AbortController.
    const abort = new EventEmitter();
    ctx.abort = abort;

    let res: Awaited<ReturnType<Pool["request"]>>;
    try {
      res = await up.pool.request({
        path: up.path(req.url),
        method: req.method as "GET",
        headers,
        body: payload,
        signal: abort,
      });
    } catch (err) {
      return upstreamFailure(ctx, err, "is unreachable", opts.timeoutMs);
    }
    const ct = String(res.headers["content-type"] ?? "");

    if (ctx.stream && res.statusCode === 200 && ct.includes("text/event-stream")) {
      return streamThrough(req, reply, res, stripUsage, finish);
    }

    let buf: Buffer;
    try {
      buf = Buffer.from(await res.body.arrayBuffer());
    } catch (err) {
      return upstreamFailure(ctx, err, "failed while sending its response", opts.timeoutMs);
    }
    ctx.abort = null;
    if (res.statusCode < 300 && (ct.includes("json") || ct === "")) {
      let parsed: any;
      try {
        parsed = JSON.parse(buf.toString("utf8"));
      } catch {
        throw errors.badGateway(
          `Upstream "${ctx.provider}" returned an invalid response (status ${res.statusCode}, expected JSON)`,
          "upstream_bad_response",
        );
      }
      readUsage(parsed?.usage, ctx.usage);
      if (typeof parsed?.model === "string") ctx.responseModel = parsed.model;
      if (typeof parsed?.id === "string") ctx.responseId = parsed.id;
      if (Array.isArray(parsed?.choices)) {
        ctx.finishReasons = parsed.choices
          .map((c: any) => c?.finish_reason)
          .filter((x: unknown) => typeof x === "string");
      }
    } else if (res.statusCode >= 400) {
      ctx.errorType = res.statusCode === 429 ? "upstream_rate_limited" : "upstream_error";
    }
    const resHeaders = res.headers;
    for (const k in resHeaders) {
      const v = resHeaders[k];
      if (v !== undefined && !DROP_RESPONSE.has(k)) reply.header(k, v);
    }
    reply.header("x-trace-id", ctx.id);
    return reply.code(res.statusCode).send(buf);
  };

  for (const [url, schema] of [
    ["/v1/chat/completions", chatBody],
    ["/v1/completions", modelBody("prompt")],
    ["/v1/embeddings", modelBody("input")],
    ["/v1/responses", modelBody("input")],
  ] as const) {
    app.post(url, { schema: { body: schema } }, forward);
  }
  app.route({ method: ["GET", "POST", "PUT", "PATCH", "DELETE"], url: "/v1/*", handler: forward });
}

/** An SSE data payload carrying generated text (the first one sets TTFT). Not global: test() is stateless. */
const FIRST_TOKEN = /"(content|text|delta)":"[^"]/;

/** End of an SSE event (blank line). Shared: only used synchronously (lastIndex set before each exec). */
const EVENT_END = /\r?\n\r?\n/g;

/**
 * The concatenated `data:` fields of one SSE event (lines split on \n or \r\n, one optional space after
 * the colon dropped), without allocating the lines.
 */
export function sseData(event: string): string {
  let data = "";
  const len = event.length;
  let i = 0;
  while (i < len) {
    let nl = event.indexOf("\n", i);
    let lineEnd: number;
    if (nl === -1) lineEnd = nl = len;
    else lineEnd = nl > i && event.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (lineEnd - i >= 5 && event.startsWith("data:", i))
      data += event.slice(i + (event.charCodeAt(i + 5) === 32 && i + 5 < lineEnd ? 6 : 5), lineEnd);
    i = nl + 1;
  }
  return data;
}

/** Upstream request failed: 499 if the client went away meanwhile, else 504 (timeout) or 502. */
function upstreamFailure(ctx: CallContext, err: unknown, phase: string, timeoutMs: number): never {
  if (ctx.clientGone) {
    ctx.errorType = "client_aborted";
    throw new ApiError(499, "Client closed the request", "invalid_request_error", "client_aborted");
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    throw errors.timeout(`Upstream "${ctx.provider}" did not answer within ${timeoutMs} ms`);
  }
  const code = (err as { code?: string }).code ?? (err as Error).message;
  throw errors.badGateway(`Upstream "${ctx.provider}" ${phase}: ${code}`, "upstream_unavailable");
}

/** SSE pass-through: forwards each complete event as it arrives, reads usage and TTFT on the way. */
async function streamThrough(
  req: FastifyRequest,
  reply: FastifyReply,
  res: Awaited<ReturnType<Pool["request"]>>,
  stripUsage: boolean,
  finish: (ctx: CallContext, status: number) => void,
): Promise<void> {
  const ctx = req.call!;
  ctx.streaming = true;
  reply.hijack();
  const out = reply.raw;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(res.headers))
    if (v !== undefined && !DROP_RESPONSE.has(k)) headers[k] = v;
  headers["cache-control"] = "no-cache";
  headers["x-accel-buffering"] = "no";
  headers["x-trace-id"] = ctx.id;
  out.writeHead(200, headers);
  out.flushHeaders();

  const decoder = new StringDecoder("utf8");
  let pending = "";
  let status = 200;
  const waitDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        out.off("drain", done);
        out.off("close", done);
        resolve();
      };
      out.on("drain", done);
      out.on("close", done);
    });

  const inspect = (data: string): boolean => {
    // Returns false when the event must not be forwarded (the usage chunk the client did not ask for).
    if (ctx.ttftMs === null && FIRST_TOKEN.test(data)) ctx.ttftMs = performance.now() - ctx.t0;
    if (!data.includes('"usage":{')) return true;
    try {
      const obj = JSON.parse(data);
      const usage = obj?.usage ?? obj?.response?.usage;
      if (usage) readUsage(usage, ctx.usage);
      if (typeof obj?.model === "string") ctx.responseModel = obj.model;
      if (stripUsage && Array.isArray(obj?.choices) && obj.choices.length === 0) return false;
    } catch {
      // not JSON: pass it on untouched
    }
    return true;
  };

  try {
    for await (const chunk of res.body) {
      pending += decoder.write(chunk as Buffer);
      let outText = "";
      let start = 0;
      while (true) {
        EVENT_END.lastIndex = start;
        const hit = EVENT_END.exec(pending);
        if (!hit) break;
        const end = hit.index + hit[0].length;
        const event = pending.slice(start, end);
        start = end;
        const data = sseData(event);
        if (data && data !== "[DONE]" && !inspect(data)) continue;
        // The client did not ask for usage: drop the `"usage":null` the upstream adds to every chunk.
        outText += stripUsage ? event.replace(NULL_USAGE, "") : event;
      }
      pending = pending.slice(start);
      if (outText && !out.destroyed) {
        if (!out.write(outText)) await waitDrain();
      }
      if (ctx.clientGone) break;
    }
    pending += decoder.end();
    if (pending && !out.destroyed) out.write(pending);
    if (ctx.clientGone) {
      status = 499;
      ctx.errorType = "client_aborted";
    }
  } catch (err) {
    if (ctx.clientGone) {
      status = 499;
      ctx.errorType = "client_aborted";
    } else {
      const timeout = err instanceof undiciErrors.BodyTimeoutError;
      status = timeout ? 504 : 502;
      ctx.errorType = timeout ? "upstream_timeout" : "upstream_stream_error";
      const message = timeout
        ? `Upstream "${ctx.provider}" stalled mid-stream (no data within the timeout)`
        : `Upstream "${ctx.provider}" broke off the stream: ${(err as { code?: string }).code ?? (err as Error).message}`;
      if (!out.destroyed) {
        out.write(
          `data: ${JSON.stringify({ error: { message, type: "upstream_error", code: ctx.errorType } })}\n\n`,
        );
      }
    }
  } finally {
    if (!out.destroyed) out.end();
    finish(ctx, status);
  }
}
