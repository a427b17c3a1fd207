/**
 * The OpenAI-compatible HTTP surface: POST /v1/chat/completions (answers and SSE streams), GET
 * /v1/models, GET /api/v1/providers, and /api/health, /api/ready. Routing itself is the pipeline's.
 */
import { authenticate, chatCompletionBody, type KeyStore, principalOf, type Tracing } from "@llmops/shared";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Balancer } from "./balancer.ts";
import type { Catalogue } from "./catalogue.ts";
import type { Sink } from "./dispatch.ts";
import type { ChatPipeline } from "./pipeline.ts";
import { reportedTokens } from "./tokens.ts";
import type { ProxyResponse } from "./upstream.ts";

export interface RouteOptions {
  catalogue: Catalogue;
  balancer: Balancer;
  pipeline: ChatPipeline;
  keys: KeyStore;
  tracing: Tracing;
}

export async function routerRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { catalogue, balancer, pipeline } = opts;

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
        g.deployments.map((d) => ({ model: g.name, ...balancer.view(d) })),
      ),
    }));

    api.post<{ Body: Record<string, unknown> & { model: string } }>(
      "/v1/chat/completions",
      { schema: { body: chatCompletionBody } },
      async (req, reply) => {
        const abort = new AbortController();
        reply.raw.once("close", () => {
          if (!reply.raw.writableFinished) abort.abort();
        });
        await pipeline.run(
          {
            body: req.body,
            tenant: principalOf(req).tenant ?? "admin",
            headers: req.headers,
            signal: abort.signal,
            parent: opts.tracing.parentOf(req),
          },
          httpSink(reply),
        );
        return reply;
      },
    );
  });
}

function httpSink(reply: FastifyReply): Sink {
  return {
    answer(status, headers, body) {
      void reply.code(status).headers(headers).send(body);
    },
    relay: (res, headers, firstByte) => relayStream(reply, res, headers, firstByte),
  };
}

/**
 * Streams the proxy's SSE answer through. Once bytes have gone out there is no failover: an upstream
 * failure ends the stream with an SSE error event, never a clean end.
 */
async function relayStream(
  reply: FastifyReply,
  res: ProxyResponse,
  headers: Record<string, string>,
  firstByte: () => void,
): Promise<{ sent: boolean; completed: boolean; usedTokens: number | null }> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    ...res.headers,
    ...headers,
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
  });
  out.flushHeaders();
  let first = true;
  let cutMidway = false;
  let tail = "";
  try {
    for await (const chunk of res.stream()) {
      if (first) firstByte();
      first = false;
      tail = (tail + chunk.subarray(Math.max(0, chunk.length - 2048)).toString()).slice(-4096);
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
  return { sent: !first, completed: !first && !cutMidway, usedTokens: reportedTokens(tail) };
}
