import { randomUUID } from "node:crypto";
import {
  ApiError,
  authenticate,
  chatCompletionBody,
  errors,
  type KeyStore,
  principalOf,
  type Tracing,
} from "@llmops/shared";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Dispatcher } from "undici";
import type { BudgetGuard } from "./budgets.ts";
import { Call, type CallRecorder } from "./call.ts";
import { type BudgetLedger, type CallBounds, isRefusal } from "./ledger.ts";
import type { ProxyMetrics } from "./metrics.ts";
import { analyzeRequest } from "./security.ts";
import { CLIENT_GONE, Exchange, type Upstream } from "./upstream.ts";

/** What this plugin keeps on a request (decorated, so no FastifyRequest augmentation leaks out). */
type ProxyRequest = FastifyRequest & { traceCall: Call | null; rawBody: Buffer | null };
const callOf = (req: FastifyRequest) => (req as ProxyRequest).traceCall;

export interface ProxyOptions {
  upstreams: Map<string, Upstream>;
  defaultProvider: string;
  keys: KeyStore;
  budgets: BudgetGuard;
  /** Reservations against each tenant's remaining budget (null without a cost API). */
  ledger: BudgetLedger | null;
  metrics: ProxyMetrics;
  recorder: CallRecorder;
  bodyLimit: number;
  security: "on" | "off" | "block";
  securityThreshold: number;
  /** The request's span is the trace's; the upstream call is a CLIENT span under it. */
  tracing: Tracing;
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

/** The request's trace: its span's when tracing is on, else the caller's traceparent, else a new one. */
function newTraceId(req: FastifyRequest, tracing: Tracing): string {
  const traced = tracing.traceIdOf(req);
  if (traced) return traced;
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

  app.decorateRequest("traceCall", null);
  app.decorateRequest("rawBody", null);
  // Keep the raw bytes: unmodified bodies are forwarded as-is (no re-serialisation).
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser(
    "application/json",
    { parseAs: "buffer", bodyLimit: opts.bodyLimit },
    (req, body, done) => {
      const buf = body as Buffer;
      (req as ProxyRequest).rawBody = buf;
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
      const call = callOf(req);
      if (call && parsed && typeof parsed === "object") {
        const b = parsed as Record<string, unknown>;
        call.requested(b.model, b.stream);
        if (b.stream === true) call.requestBody = parsed;
      }
      done(null, parsed);
    },
  );
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (req, body, done) => {
    (req as ProxyRequest).rawBody = body as Buffer;
    done(null, body);
  });

  // Hooks are callback-style (no promise per hook per request on the hot path). The call exists before
  // authentication, so a refused request is traced too.
  app.addHook("onRequest", (req, reply, done) => {
    const q = req.url.indexOf("?");
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const call = new Call(
      randomUUID(),
      newTraceId(req, opts.tracing),
      providerName(req.headers["x-llm-provider"]),
      OPERATIONS[path] ?? "other",
      opts.recorder,
    );
    (req as ProxyRequest).traceCall = call;
    metrics.inFlight.inc();
    // One 'close' listener per request: a client that disconnects before we answered never produces
    // 'finish' (so no onResponse), and one that leaves mid-call aborts the upstream request.
    const raw = reply.raw;
    raw.once("close", () => call.clientClosed(raw.writableFinished, reply.statusCode, CLIENT_GONE));
    done();
  });
  await app.register(authenticate, { keys: opts.keys });
  app.addHook("onRequest", (req, _reply, done) => {
    try {
      admit(req, callOf(req)!);
      done();
    } catch (err) {
      done(err as Error);
    }
  });

  /** The caller's tenant, a known provider, and a tenant within its budget. */
  function admit(req: FastifyRequest, call: Call): void {
    const principal = principalOf(req);
    // Tenant keys are bound to their tenant; an admin/service key (e.g. the router's) may act for one.
    call.tenant = principal.tenant ?? (principal.admin ? "admin" : "unauthenticated");
    if (!opts.upstreams.has(call.provider)) {
      throw errors.badRequest(
        `Unknown provider "${call.provider}" (x-llm-provider). Configured providers: ${[...opts.upstreams.keys()].join(", ")}`,
        "unknown_provider",
      );
    }
    const cap = opts.budgets.exceeded(call.tenant);
    if (cap) {
      throw errors.budgetExceeded(
        `Budget exceeded for tenant "${call.tenant}": spent $${cap.spentUsd.toFixed(2)} of the $${cap.limitUsd.toFixed(2)} ${cap.period === "day" ? "daily" : "monthly"} limit. Requests are refused until the period resets or the budget is raised.`,
      );
    }
  }

  /** Holds the call's worst-case cost against its tenant's budget, or refuses it (429 budget_exceeded). */
  function reserve(
    ledger: BudgetLedger,
    call: Call,
    raw: Buffer | null,
    body: Record<string, any> | undefined,
  ): void {
    const out = body?.max_completion_tokens ?? body?.max_tokens ?? body?.max_output_tokens;
    const bounds: CallBounds = {
      promptTokens: raw?.length ?? 0,
      maxOutputTokens: Number.isInteger(out) && out >= 0 ? out : undefined,
      generates: call.operation !== "embeddings" && call.operation !== "list_models",
    };
    const r = ledger.admit(call.tenant, call.provider, call.model, bounds);
    if (!isRefusal(r)) {
      call.reservation = r;
      return;
    }
    const s = r.status;
    throw errors.budgetExceeded(
      `Budget exceeded for tenant "${call.tenant}": this call may cost up to $${r.worstUsd} and $${r.availableUsd} of the $${s.limitUsd} ${s.period === "day" ? "daily" : "monthly"} limit is left here after the calls in flight (spent $${s.spentUsd}). Requests are refused until the period resets, calls in flight finish, or the budget is raised.`,
    );
  }

  app.addHook("onError", (req, _reply, err, done) => {
    const call = callOf(req);
    if (call && !call.errorType) call.errorType = errorTypeOf(err);
    done();
  });

  app.addHook("onResponse", (req, reply, done) => {
    callOf(req)?.responded(reply.statusCode);
    done();
  });

  const defaultProvider = String(opts.defaultProvider).toLowerCase().slice(0, 64);
  const providerName = (h: string | string[] | undefined): string =>
    h === undefined ? defaultProvider : String(h).toLowerCase().slice(0, 64);

  // Not async: the answer is sent from the upstream exchange's callbacks (fastify waits for reply.send).
  const forward = (req: FastifyRequest, reply: FastifyReply): void => {
    const call = callOf(req)!;
    const up = opts.upstreams.get(call.provider)!;
    const body = req.body as Record<string, any> | undefined;
    const isJson = !!body && typeof body === "object" && !Buffer.isBuffer(body);

    if (opts.security !== "off" && isJson) {
      const r = analyzeRequest(body);
      call.securityScore = r.score;
      call.securityFlags = r.flags;
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

    if (opts.ledger) reserve(opts.ledger, call, (req as ProxyRequest).rawBody, isJson ? body : undefined);

    let payload: Buffer | null =
      req.method === "GET" || req.method === "HEAD" ? null : (req as ProxyRequest).rawBody;
    // Ask for the usage chunk when the client did not; it is then filtered out of what the client sees.
    let stripUsage = false;
    if (
      isJson &&
      call.stream &&
      (call.operation === "chat" || call.operation === "text_completion") &&
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
    const span = opts.tracing.outgoing(
      `${req.method} ${req.url.split("?", 1)[0]}`,
      opts.tracing.parentOf(req),
      {
        "server.address": up.cfg.name,
        "gen_ai.provider.name": call.provider,
      },
    );
    if (span) {
      headers.traceparent = span.traceparent;
      // The exchange ends with our answer to the caller (streams included).
      reply.raw.once("close", () => span.end(reply.statusCode));
    } else if (!headers.traceparent)
      headers.traceparent = `00-${call.traceId}-${call.id.replaceAll("-", "").slice(0, 16)}-01`;

    call.dispatched();
    up.pool.dispatch(
      { path: up.path(req.url), method: req.method as Dispatcher.HttpMethod, headers, body: payload },
      new Exchange(call, reply, up, stripUsage),
    );
  };

  for (const [url, schema] of [
    ["/v1/chat/completions", chatCompletionBody],
    ["/v1/completions", modelBody("prompt")],
    ["/v1/embeddings", modelBody("input")],
    ["/v1/responses", modelBody("input")],
  ] as const) {
    app.post(url, { schema: { body: schema } }, forward);
  }
  app.route({ method: ["GET", "POST", "PUT", "PATCH", "DELETE"], url: "/v1/*", handler: forward });
}
