/**
 * The OpenAI-compatible surface: POST /v1/chat/completions (answers and SSE streams), GET /v1/models,
 * GET /api/v1/providers, and /api/health, /api/ready. Each call goes to the trace proxy for one
 * deployment at a time, in the order the group's strategy gives, then the group's fallbacks.
 */
import { authenticate, chatCompletionBody, errors, type KeyStore, principalOf } from "@llmops/shared";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Balancer } from "./balancer.ts";
import type { Catalogue, Deployment } from "./catalogue.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { TraceProxyClient } from "./upstream.ts";

export interface RouteOptions {
  catalogue: Catalogue;
  balancer: Balancer;
  proxy: TraceProxyClient;
  keys: KeyStore;
  metrics: RouterMetrics;
  /** One overall deadline per call, across every attempt. */
  requestTimeoutMs: number;
  /** Cooldown of a failed deployment that did not say how long (Retry-After). */
  cooldownMs: number;
}

/** Statuses worth another deployment: rate limited, or the server side failed. */
const retryable = (status: number) => status === 429 || status >= 500;

export async function routerRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { catalogue, balancer, metrics } = opts;

  for (const [alias, target] of [
    ["/api/health", "/health"],
    ["/api/ready", "/ready"],
  ] as const)
    app.get(alias, async (_req, reply) => {
      const r = await app.inject({ url: target });
      return reply.code(r.statusCode).type("application/json").send(r.body);
    });

  await app.register(async (api) => {
    await api.register(authenticate, { keys: opts.keys });

    api.get("/v1/models", async () => ({
      object: "list",
      data: [...catalogue.groups.keys()].map((id) => ({
        id,
        object: "model",
        created: 0,
        owned_by: "llmops",
      })),
    }));

    api.get("/api/v1/providers", async () => ({
      data: [...catalogue.groups.values()].flatMap((g) =>
        g.deployments.map((d) => {
          const s = balancer.of(d);
          const cooling = balancer.cooling(d);
          return {
            model: g.name,
            provider: d.provider,
            deployment: d.model,
            state: cooling ? "cooldown" : "healthy",
            weight: d.weight,
            effectiveWeight: cooling ? 0 : d.weight,
            until: cooling ? new Date(s.until).toISOString() : null,
            reason: cooling ? s.reason : null,
            latencyMs: s.latencyMs,
            ttftMs: s.ttftMs,
            inFlight: s.inFlight,
            errorRate: s.requests ? s.failures / s.requests : 0,
          };
        }),
      ),
    }));

    api.post<{ Body: Record<string, unknown> & { model: string; stream?: boolean } }>(
      "/v1/chat/completions",
      { schema: { body: chatCompletionBody } },
      async (req, reply) => {
        const group = catalogue.resolve(req.body.model);
        if (!group)
          throw errors.notFound(
            `The model "${req.body.model}" does not exist. GET /v1/models lists the models.`,
            "model_not_found",
          );
        const principal = principalOf(req);
        const tenant = principal.tenant ?? "admin";
        const stream = req.body.stream === true;
        const deadline = Date.now() + opts.requestTimeoutMs;
        const abort = new AbortController();
        reply.raw.once("close", () => {
          if (!reply.raw.writableFinished) abort.abort();
        });

        // The group's deployments, then each fallback group's, each deployment once.
        const tried = new Set<string>();
        const candidates: Deployment[] = [];
        for (const g of [group, ...group.fallbacks.map((f) => catalogue.groups.get(f)!)])
          for (const d of balancer.order(g, stream)) {
            if (tried.has(d.id)) continue;
            tried.add(d.id);
            candidates.push(d);
          }

        let attempts = 0;
        let last: { status: number; body: Buffer; headers: Record<string, string> } | null = null;
        for (const d of candidates) {
          if (abort.signal.aborted || Date.now() >= deadline) break;
          attempts++;
          if (attempts > 1) metrics.failovers.inc({ model: group.name });
          balancer.started(d);
          const t0 = performance.now();
          let res;
          try {
            res = await opts.proxy.send(d, tenant, { ...req.body, model: d.model }, deadline, abort.signal);
          } catch (err) {
            if (abort.signal.aborted) {
              balancer.released(d);
              break;
            }
            balancer.failed(d, `unreachable: ${(err as Error).message}`, opts.cooldownMs);
            metrics.attempts.inc({ model: group.name, provider: d.provider, outcome: "error" });
            continue;
          }
          const streaming = stream && res.status === 200 && res.contentType.includes("text/event-stream");
          if (streaming) {
            reply.header("x-llm-provider", d.provider).header("x-router-attempts", String(attempts));
            const relayed = await relayStream(reply, res, () => {
              balancer.succeeded(d, { ttftMs: performance.now() - t0 });
            });
            if (!relayed.sent) balancer.released(d);
            metrics.attempts.inc({
              model: group.name,
              provider: d.provider,
              outcome: relayed.completed ? "ok" : "stream_cut",
            });
            metrics.requests.inc({ model: group.name, provider: d.provider, status: "200", stream: "true" });
            return reply;
          }
          const body = await res.buffer();
          const code = errorCode(body);
          if (res.status < 400 || !retryable(res.status) || code === "budget_exceeded") {
            // An answer, a client error or a budget refusal: the deployment is not at fault, never retried.
            if (res.status < 400) balancer.succeeded(d, { latencyMs: performance.now() - t0 });
            else balancer.released(d);
            metrics.attempts.inc({ model: group.name, provider: d.provider, outcome: String(res.status) });
            metrics.requests.inc({
              model: group.name,
              provider: d.provider,
              status: String(res.status),
              stream: String(stream),
            });
            return reply
              .code(res.status)
              .headers(res.headers)
              .header("x-llm-provider", d.provider)
              .header("x-router-attempts", String(attempts))
              .send(body);
          }
          balancer.failed(
            d,
            `status ${res.status}${code ? ` (${code})` : ""}`,
            res.retryAfterMs ?? opts.cooldownMs,
          );
          metrics.attempts.inc({ model: group.name, provider: d.provider, outcome: String(res.status) });
          last = { status: res.status, body, headers: res.headers };
        }
        if (abort.signal.aborted) return reply;
        metrics.requests.inc({
          model: group.name,
          provider: "none",
          status: String(last?.status ?? 502),
          stream: String(stream),
        });
        if (last)
          return reply
            .code(last.status)
            .headers(last.headers)
            .header("x-router-attempts", String(attempts))
            .send(last.body);
        throw errors.badGateway(
          `Every deployment of "${group.name}" failed (${attempts} attempts)`,
          "all_deployments_failed",
        );
      },
    );
  });
}

function errorCode(body: Buffer): string | null {
  try {
    const code = JSON.parse(body.toString("utf8"))?.error?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}

/**
 * Streams the proxy's SSE answer through. Once bytes have gone out there is no failover: an upstream
 * failure ends the stream with an SSE error event, never a clean end.
 */
async function relayStream(
  reply: FastifyReply,
  res: Awaited<ReturnType<TraceProxyClient["send"]>>,
  firstByte: () => void,
): Promise<{ sent: boolean; completed: boolean }> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    ...res.headers,
    ...reply.getHeaders(),
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  } as Record<string, string>);
  out.flushHeaders();
  let first = true;
  let cutMidway = false;
  try {
    for await (const chunk of res.stream()) {
      if (first) firstByte();
      first = false;
      // A client that left never drains: its close ends the wait, and the aborted upstream the loop.
      if (!out.write(chunk)) await new Promise((r) => (out.once("drain", r), out.once("close", r)));
    }
    // The proxy ends a broken upstream stream with an error event of its own; pass it on as it is.
  } catch (err) {
    cutMidway = true;
    if (!out.destroyed)
      out.write(
        `data: ${JSON.stringify({ error: { message: `The stream broke off: ${(err as Error).message}`, type: "upstream_error", code: "stream_interrupted" } })}\n\n`,
      );
  }
  out.end();
  return { sent: !first, completed: !first && !cutMidway };
}
