import { randomUUID } from "node:crypto";
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
import type { Dispatcher } from "undici";
import type { BudgetGuard } from "./budgets.ts";
import type { CallContext } from "./call.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { analyzeRequest } from "./security.ts";
import type { TraceStore } from "./store.ts";
import { CLIENT_GONE, Exchange, type Upstream } from "./upstream.ts";

declare module "fastify" {
  interface FastifyRequest {
    call?: CallContext;
    rawBody?: Buffer;
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
const OPERATIONS: Record<string, string> = {
  "/v1/chat/completions": "chat",
  "/v1/completions": "text_completion",
  "/v1/embeddings": "embeddings",
  "/v1/responses": "chat",
  "/v1/models": "list_models",
};

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
      upstreamPending: false,
      upstream: null,
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
      if (ctx.upstreamPending && !raw.writableFinished) {
        ctx.clientGone = true;
        ctx.upstream?.abort(CLIENT_GONE);
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

  // Not async: the answer is sent from the upstream exchange's callbacks (fastify waits for reply.send).
  const forward = (req: FastifyRequest, reply: FastifyReply): void => {
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

    ctx.upstreamPending = true;
    up.pool.dispatch(
      { path: up.path(req.url), method: req.method as Dispatcher.HttpMethod, headers, body: payload ?? null },
      new Exchange(ctx, reply, up, stripUsage, finish),
    );
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
