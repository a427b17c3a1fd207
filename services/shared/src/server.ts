import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import type { Registry } from "prom-client";
import { ApiError, errorBody } from "./errors.ts";
import { type Logger, requestLoggerFactory } from "./logger.ts";

export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ServiceOptions {
  name: string;
  logger: Logger;
  registry: Registry;
  /** Named readiness checks (e.g. database, bus); /ready is 200 only when all pass. */
  readiness?: Record<string, ReadinessCheck>;
  bodyLimit?: number;
  /** Extra fastify options (e.g. keepAliveTimeout). */
  fastify?: Partial<FastifyServerOptions>;
  /** Log one line per request at info (default true). */
  requestLog?: boolean;
}

/**
 * A fastify instance with the contract every service shares: /health, /ready, /metrics,
 * OpenAI-style errors (validation -> 400, unknown route -> 404, oversize -> 413), JSON logs.
 * Register service routes as plugins on it (encapsulated), then `listen`.
 */
export function createService(opts: ServiceOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    // We log one line per request ourselves (onResponse), not fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    requestIdHeader: "x-request-id",
    return503OnClosing: true,
    forceCloseConnections: "idle",
    keepAliveTimeout: 65_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
    ...opts.fastify,
  });
  let closing = false;
  // Open sockets and the responses in flight, so a drain can close sockets that carry none: keep-alive
  // sockets that went idle during the drain (e.g. after a hijacked SSE stream) and sockets a client
  // opened but never used, which Node's closeIdleConnections() misses.
  const sockets = new Set<Socket>();
  const inflight = new Set<ServerResponse>();
  app.server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  app.server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    inflight.add(res);
    res.once("close", () => inflight.delete(res));
  });
  app.addHook("preClose", async () => {
    closing = true;
    // Answers still to come say Connection: close, so keep-alive sockets do not hold the shutdown
    // open until their idle timeout. Marked here, once, rather than checked in a hook on every reply.
    for (const res of inflight) if (!res.headersSent) res.setHeader("connection", "close");
    const sweep = () => {
      const busy = new Set<Socket | null>();
      for (const res of inflight) busy.add(res.req.socket);
      for (const socket of sockets) if (!busy.has(socket)) socket.destroy();
    };
    const timer = setInterval(sweep, 50);
    timer.unref();
    app.server.once("close", () => clearInterval(timer));
    sweep();
  });

  if (opts.requestLog !== false) {
    app.addHook("onResponse", (req, reply, done) => {
      if (
        opts.logger.isLevelEnabled("info") &&
        req.url !== "/metrics" &&
        req.url !== "/health" &&
        req.url !== "/ready"
      ) {
        req.log.info(
          {
            method: req.method,
            url: req.url,
            statusCode: reply.statusCode,
            ms: Math.round(reply.elapsedTime),
          },
          "request",
        );
      }
      done();
    });
  }

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      if (err.retryAfterMs !== undefined)
        reply.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      return reply.code(err.statusCode).send(err.toJSON());
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply
        .code(400)
        .send(errorBody(`Invalid request: ${fe.message}`, "invalid_request_error", "invalid_request"));
    }
    if (fe.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply
        .code(413)
        .send(errorBody("Request body is too large", "invalid_request_error", "request_too_large"));
    }
    if (
      fe.code === "FST_ERR_CTP_INVALID_JSON_BODY" ||
      fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY" ||
      err instanceof SyntaxError
    ) {
      return reply
        .code(400)
        .send(errorBody(`Malformed JSON body: ${fe.message}`, "invalid_request_error", "invalid_json"));
    }
    if (fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return reply.code(415).send(errorBody(fe.message, "invalid_request_error", "unsupported_media_type"));
    }
    const status = fe.statusCode && fe.statusCode >= 400 ? fe.statusCode : 500;
    if (status < 500)
      return reply.code(status).send(errorBody(fe.message, "invalid_request_error", fe.code ?? null));
    req.log.error({ err }, "unhandled error");
    return reply.code(500).send(errorBody("Internal server error", "server_error", "internal_error"));
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send(
        errorBody(`Unknown route ${req.method} ${req.url.split("?")[0]}`, "not_found_error", "unknown_route"),
      );
  });

  app.get("/health", async () => ({ status: "ok", service: opts.name }));
  app.get("/ready", async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    let ok = !closing;
    for (const [name, check] of Object.entries(opts.readiness ?? {})) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
      ok &&= checks[name]!;
    }
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? "ready" : "not_ready", service: opts.name, checks });
  });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", opts.registry.contentType);
    return opts.registry.metrics();
  });
  return app;
}

export type Closer = { name: string; close: () => Promise<void> | void };

/**
 * Graceful shutdown on SIGTERM/SIGINT: runs closers in order (stop accepting + drain HTTP first,
 * then flush producers, then close databases) under a deadline, then exits.
 */
export class Shutdown {
  private closers: Closer[] = [];
  private started: Promise<void> | null = null;
  private installed = false;
  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 10_000,
  ) {}
  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }
  /** Runs every closer once (in registration order); safe to call many times. */
  run(reason = "shutdown"): Promise<void> {
    this.started ??= (async () => {
      this.logger.info({ reason }, "shutting down");
      const deadline = new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.logger.warn({ timeoutMs: this.timeoutMs }, "shutdown deadline reached");
          resolve();
        }, this.timeoutMs);
        t.unref();
      });
      const work = (async () => {
        for (const c of this.closers) {
          try {
            await c.close();
          } catch (err) {
            this.logger.error({ err, closer: c.name }, "error during shutdown");
          }
        }
      })();
      await Promise.race([work, deadline]);
      this.logger.info("shutdown complete");
    })();
    return this.started;
  }
  installSignalHandlers(exit = true): void {
    if (this.installed) return;
    this.installed = true;
    const onSignal = (signal: NodeJS.Signals) => {
      void this.run(signal).then(() => {
        if (exit) process.exit(0);
      });
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
}

export async function listen(app: FastifyInstance, port: number, host = "0.0.0.0"): Promise<string> {
  await app.listen({ port, host });
  const addr = app.server.address();
  const actualPort = typeof addr === "object" && addr ? addr.port : port;
  return `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${actualPort}`;
}
