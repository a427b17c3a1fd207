import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { ApiError, errors } from "@llmops/shared";
import type { FastifyReply } from "fastify";
import { type Dispatcher, Pool, errors as undiciErrors } from "undici";
import type { Call } from "./call.ts";
import type { ProviderConfig } from "./config.ts";
import { SseRelay } from "./sse.ts";

/** One provider: its keep-alive pool (MAX_CONNECTIONS, TIMEOUT_MS) and where its /v1 lives. */
export class Upstream {
  readonly pool: Pool;
  private readonly basePath: string;
  private readonly stripV1: boolean;
  constructor(
    readonly cfg: ProviderConfig,
    connections: number,
    readonly timeoutMs: number,
  ) {
    const u = new URL(cfg.url);
    this.basePath = u.pathname.replace(/\/+$/, "");
    this.stripV1 = this.basePath.endsWith("/v1");
    // TIMEOUT_MS is enforced here: headersTimeout (time to the response head) and bodyTimeout (longest
    // silence between body chunks, so a long stream that keeps producing tokens is never cut).
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

/** Response headers never forwarded to the client: hop-by-hop, framing (we re-frame), cookies. */
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

function clientHeaders(headers: IncomingHttpHeaders, traceId: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const k in headers) {
    const v = headers[k];
    if (v !== undefined && !DROP_RESPONSE.has(k)) out[k] = v;
  }
  out["x-trace-id"] = traceId;
  return out;
}

/** The reason we abort an upstream request whose client went away. */
export const CLIENT_GONE = new Error("client closed the request");

/** Upstream request failed: 499 if the client went away meanwhile, else 504 (timeout) or 502. */
function upstreamFailure(call: Call, err: Error, phase: string, timeoutMs: number): ApiError {
  if (call.clientGone) {
    call.errorType = "client_aborted";
    return new ApiError(499, "Client closed the request", "invalid_request_error", "client_aborted");
  }
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return errors.timeout(`Upstream "${call.provider}" did not answer within ${timeoutMs} ms`);
  }
  const code = (err as { code?: string }).code ?? err.message;
  return errors.badGateway(`Upstream "${call.provider}" ${phase}: ${code}`, "upstream_unavailable");
}

/**
 * One call's exchange with its upstream, as an undici dispatch handler: no response stream objects,
 * the body arrives in callbacks. A JSON answer is collected, read for usage and sent through fastify;
 * an SSE answer to a streaming call is relayed to the client as it arrives (backpressure: the upstream
 * is paused while the client's socket buffer is full). It reports what it sees to the Call, which
 * decides when the call is over.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private relay: SseRelay | null = null;

  constructor(
    private readonly call: Call,
    private readonly reply: FastifyReply,
    private readonly upstream: Upstream,
    private readonly stripUsage: boolean,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // The client may have gone while the request waited for a pooled connection.
    this.call.upstreamStarted(controller, CLIENT_GONE);
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // informational (1xx): the real head follows
    this.status = statusCode;
    this.headers = headers;
    const call = this.call;
    if (call.stream && statusCode === 200 && String(headers["content-type"]).includes("text/event-stream")) {
      call.streamOpened();
      this.reply.hijack();
      this.relay = new SseRelay(this.reply.raw, call, this.stripUsage);
      this.relay.open(clientHeaders(headers, call.id));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.relay === null) {
      this.chunks.push(chunk);
    } else if (!this.relay.write(chunk)) {
      controller.pause();
      this.reply.raw.once("drain", () => {
        if (!controller.aborted) controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    this.call.upstreamEnded();
    if (this.relay !== null) {
      this.relay.end();
      this.call.end(this.call.clientGone ? this.aborted() : 200);
    } else {
      this.sendBuffered();
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    this.call.upstreamEnded();
    const call = this.call;
    if (this.relay === null) {
      const phase = this.status ? "failed while sending its response" : "is unreachable";
      this.reply.send(upstreamFailure(call, err, phase, this.upstream.timeoutMs));
      return;
    }
    if (call.clientGone) {
      this.relay.end();
      call.end(this.aborted());
      return;
    }
    const timeout = err instanceof undiciErrors.BodyTimeoutError;
    const errorType = timeout ? "upstream_timeout" : "upstream_stream_error";
    call.errorType = errorType;
    this.relay.fail(
      timeout
        ? `Upstream "${call.provider}" stalled mid-stream (no data within the timeout)`
        : `Upstream "${call.provider}" broke off the stream: ${(err as { code?: string }).code ?? err.message}`,
      errorType,
    );
    call.end(timeout ? 504 : 502);
  }

  private aborted(): number {
    this.call.errorType = "client_aborted";
    return 499;
  }

  private sendBuffered(): void {
    const { call, reply, status, headers } = this;
    const chunks = this.chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    this.chunks = [];
    const ct = headers["content-type"] ?? "";
    if (status < 300 && (ct === "" || String(ct).includes("json"))) {
      let parsed: any;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        reply.send(
          errors.badGateway(
            `Upstream "${call.provider}" returned an invalid response (status ${status}, expected JSON)`,
            "upstream_bad_response",
          ),
        );
        return;
      }
      call.sawResponse(parsed);
    } else if (status >= 400) {
      call.errorType = status === 429 ? "upstream_rate_limited" : "upstream_error";
    }
    reply.code(status).headers(clientHeaders(headers, call.id)).send(body);
  }
}
