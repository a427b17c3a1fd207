/**
 * WebSocket streaming at GET /ws. The key is checked at the upgrade (an unknown key never gets a
 * socket); each client message is one chat request (the /v1/chat/completions body; it always
 * streams), answered by one message per chat.completion.chunk, then {"type":"done"}; an error is one
 * {"type":"error","error":{...}} message. A message may carry "request_id", which is taken off the
 * request and repeated on its done and error messages, so a client running several at once can match
 * them. Limits: WS_MAX_CONNECTIONS sockets, WS_MAX_IN_FLIGHT requests per socket; a ping every
 * WS_PING_INTERVAL_MS (a socket that misses a pong is closed), and an idle socket is closed after
 * WS_IDLE_TIMEOUT_MS.
 */
import websocket from "@fastify/websocket";
import {
  ApiError,
  authenticate,
  chatCompletionBody,
  errorBody,
  type KeyStore,
  principalOf,
  type Tracing,
} from "@llmops/shared";
import { Ajv } from "ajv";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { Sink } from "./dispatch.ts";
import type { RouterMetrics } from "./metrics.ts";
import type { ChatPipeline } from "./pipeline.ts";
import { reportedTokens } from "./tokens.ts";

export interface WsOptions {
  pipeline: ChatPipeline;
  keys: KeyStore;
  /** A socket's messages hang under the span of its upgrade request. */
  tracing: Tracing;
  metrics: RouterMetrics;
  maxConnections: number;
  maxInFlight: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** Largest message accepted (bytes), as for HTTP bodies. */
  maxPayload: number;
}

/** A socket sending faster than its peer reads waits once this much is buffered. */
const HIGH_WATER = 1 << 20;
const validRequest = new Ajv({ allErrors: false }).compile(chatCompletionBody);

export async function wsRoutes(app: FastifyInstance, opts: WsOptions): Promise<void> {
  const { metrics } = opts;
  let open = 0;
  await app.register(websocket, { options: { maxPayload: opts.maxPayload } });
  await app.register(authenticate, { keys: opts.keys });

  app.get(
    "/ws",
    {
      websocket: true,
      // Refused before the upgrade, with a status a client can read.
      preValidation: async (_req, reply) => {
        if (open >= opts.maxConnections) {
          metrics.wsRejected.inc({ reason: "max_connections" });
          return reply
            .code(503)
            .header("retry-after", "1")
            .send(errorBody("WS_MAX_CONNECTIONS reached", "server_error", "too_many_connections"));
        }
      },
    },
    (socket, req) => {
      const tenant = principalOf(req).tenant ?? "admin";
      open++;
      metrics.wsConnections.set(open);
      const calls = new Set<AbortController>();
      let alive = true;
      let lastActivity = Date.now();
      const send = (msg: unknown) => {
        if (socket.readyState === socket.OPEN)
          socket.send(typeof msg === "string" ? msg : JSON.stringify(msg));
      };
      const heartbeat = setInterval(
        () => {
          if (!alive) return socket.terminate();
          if (calls.size === 0 && Date.now() - lastActivity >= opts.idleTimeoutMs)
            return socket.close(1000, "idle");
          alive = false;
          socket.ping();
        },
        Math.min(opts.pingIntervalMs, opts.idleTimeoutMs),
      );
      socket.on("pong", () => (alive = true));
      socket.on("close", () => {
        clearInterval(heartbeat);
        for (const c of calls) c.abort();
        open--;
        metrics.wsConnections.set(open);
      });

      socket.on("message", async (data, isBinary) => {
        lastActivity = Date.now();
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(isBinary ? Buffer.from(data as Buffer).toString() : data.toString());
        } catch {
          return send({
            type: "error",
            ...errorBody("The message is not JSON", "invalid_request_error", "invalid_json"),
          });
        }
        const requestId = typeof body?.request_id === "string" ? body.request_id : undefined;
        const tag: Record<string, string> = requestId ? { request_id: requestId } : {};
        if (body && typeof body === "object") delete body.request_id;
        if (!validRequest(body)) {
          const why = validRequest.errors?.[0];
          return send({
            type: "error",
            ...tag,
            ...errorBody(
              `Invalid request: body${why?.instancePath ?? ""} ${why?.message ?? "is not a chat request"}`,
              "invalid_request_error",
              "invalid_request",
            ),
          });
        }
        if (calls.size >= opts.maxInFlight) {
          metrics.wsRejected.inc({ reason: "max_in_flight" });
          return send({
            type: "error",
            ...tag,
            ...errorBody(
              `At most ${opts.maxInFlight} requests at once on one socket (WS_MAX_IN_FLIGHT)`,
              "rate_limit_error",
              "too_many_in_flight",
            ),
          });
        }
        const abort = new AbortController();
        calls.add(abort);
        try {
          await opts.pipeline.run(
            {
              body: { ...body, stream: true } as Record<string, unknown> & { model: string },
              tenant,
              headers: req.headers,
              signal: abort.signal,
              parent: opts.tracing.parentOf(req),
            },
            wsSink(socket, send, tag),
          );
        } catch (err) {
          const e =
            err instanceof ApiError ? err.toJSON() : errorBody("Internal server error", "server_error");
          send({ type: "error", ...tag, ...e });
        } finally {
          calls.delete(abort);
          lastActivity = Date.now();
        }
      });
    },
  );
}

/** Turns the proxy's SSE into WebSocket messages: each data payload as it is, [DONE] as {"type":"done"}. */
function wsSink(socket: WebSocket, send: (m: unknown) => void, tag: Record<string, string>): Sink {
  return {
    answer(status, _headers, body) {
      let parsed: any;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        parsed = null;
      }
      if (status < 400 && parsed) {
        send(parsed);
        send({ type: "done", ...tag });
      } else
        send({
          type: "error",
          ...tag,
          error: parsed?.error ?? errorBody(`Upstream answered ${status}`, "upstream_error").error,
        });
    },
    async relay(res, _headers, firstByte) {
      let first = true;
      let buffered = "";
      let done = false;
      let failed = false;
      let tail = "";
      const events = (text: string) => {
        buffered += text;
        let end: number;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          for (const line of event.split("\n")) {
            if (!line.startsWith("data:")) continue;
            const payload = line.slice(5).trim();
            if (payload === "[DONE]") done = true;
            else if (payload.startsWith('{"error"')) {
              failed = true;
              send(
                `{"type":"error",${tag.request_id ? `"request_id":${JSON.stringify(tag.request_id)},` : ""}${payload.slice(1)}`,
              );
            } else {
              tail = payload;
              send(payload);
            }
          }
        }
      };
      try {
        for await (const chunk of res.stream()) {
          if (first) firstByte();
          first = false;
          events(chunk.toString("utf8").replace(/\r\n/g, "\n"));
          while (socket.bufferedAmount > HIGH_WATER && socket.readyState === socket.OPEN)
            await new Promise((r) => setTimeout(r, 5));
        }
      } catch (err) {
        failed = true;
        send({
          type: "error",
          ...tag,
          ...errorBody(
            `The stream broke off: ${(err as Error).message}`,
            "upstream_error",
            "stream_interrupted",
          ),
        });
      }
      if (!failed) {
        if (done) send({ type: "done", ...tag });
        else {
          failed = true;
          send({
            type: "error",
            ...tag,
            ...errorBody("The stream ended before [DONE]", "upstream_error", "stream_interrupted"),
          });
        }
      }
      return { sent: !first, completed: !first && !failed, usedTokens: reportedTokens(tail) };
    },
  };
}
