import type { Dispatcher } from "undici";
import { estimateUsage, loadTokenizer } from "./estimate.ts";
import type { Reservation } from "./ledger.ts";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** "provider": the provider's figures; "estimated": counted by the proxy (the provider sent none). */
  source?: "provider" | "estimated";
}

/** At most this much forwarded SSE data is kept per stream for a token estimate. */
const FORWARDED_MAX_CHARS = 4 * 1024 * 1024;

/** Where a finished call goes (metrics, the trace store, the bus): told exactly once per call. */
export interface CallRecorder {
  record(call: Call): void;
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

/**
 * One proxied call and everything known about it. It is the only owner of that state: the request
 * hooks, the upstream exchange and the SSE relay report what they see through its methods, and it
 * decides when the call is over and records it, once.
 */
export class Call {
  readonly startedAt = new Date().toISOString();
  readonly t0 = performance.now();
  tenant = "unauthenticated";
  model: string | null = null;
  stream = false;
  status = 0;
  errorType: string | null = null;
  ttftMs: number | null = null;
  usage: Usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  /** The parsed request body (a stream's prompt, counted if the provider sends no usage). */
  requestBody: unknown = undefined;
  /** The SSE data payloads forwarded to the client, kept until the stream ends (bounded). */
  private forwarded: string[] = [];
  private forwardedChars = 0;
  securityScore = 0;
  securityFlags: string[] = [];
  responseModel: string | undefined = undefined;
  responseId: string | undefined = undefined;
  finishReasons: string[] | undefined = undefined;
  /** What this call holds against its tenant's budget until it ends (see ledger.ts). */
  reservation: Reservation | null = null;
  /** The client went away before we finished answering. */
  clientGone = false;

  /** We stream the response ourselves (fastify's reply is hijacked): it ends when the stream does. */
  private streaming = false;
  private recorded = false;
  /** An upstream request was dispatched and has not ended. */
  private upstreamPending = false;
  /** Its controller once it is on a connection (undici's onRequestStart); aborts it. */
  private upstream: Dispatcher.DispatchController | null = null;

  constructor(
    readonly id: string,
    readonly traceId: string,
    readonly provider: string,
    readonly operation: string,
    private readonly recorder: CallRecorder,
  ) {}

  /** The request body named the model and the stream flag (read before validation, so bad requests keep them). */
  requested(model: unknown, stream: unknown): void {
    if (typeof model === "string") this.model = model.slice(0, 256);
    this.stream = stream === true;
  }

  firstToken(): void {
    if (this.ttftMs === null) this.ttftMs = performance.now() - this.t0;
  }

  /** Usage in OpenAI chat/completions, Responses API and Anthropic-compatible shapes. */
  sawUsage(u: any): void {
    if (!u || typeof u !== "object") return;
    const usage = this.usage;
    usage.source = "provider";
    usage.inputTokens = count(u.prompt_tokens ?? u.input_tokens);
    usage.outputTokens = count(u.completion_tokens ?? u.output_tokens);
    usage.cachedInputTokens = count(
      u.prompt_tokens_details?.cached_tokens ??
        u.input_tokens_details?.cached_tokens ??
        u.cache_read_input_tokens,
    );
  }

  /** A JSON answer: usage, the model that answered, its id and finish reasons. */
  sawResponse(body: any): void {
    this.sawUsage(body?.usage);
    if (typeof body?.model === "string") this.responseModel = body.model;
    if (typeof body?.id === "string") this.responseId = body.id;
    if (Array.isArray(body?.choices)) {
      this.finishReasons = body.choices
        .map((c: any) => c?.finish_reason)
        .filter((x: unknown) => typeof x === "string");
    }
  }

  /** A stream event carrying usage (chat chunks, or the Responses API's response.completed). */
  sawStreamUsage(event: any): void {
    const usage = event?.usage ?? event?.response?.usage;
    if (usage) this.sawUsage(usage);
    if (typeof event?.model === "string") this.responseModel = event.model;
  }

  dispatched(): void {
    this.upstreamPending = true;
  }

  /** The upstream request got a connection; false (and aborted) when the client left while it waited. */
  upstreamStarted(controller: Dispatcher.DispatchController, reason: Error): boolean {
    if (this.clientGone) {
      controller.abort(reason);
      return false;
    }
    this.upstream = controller;
    return true;
  }

  upstreamEnded(): void {
    this.upstream = null;
    this.upstreamPending = false;
  }

  streamOpened(): void {
    this.streaming = true;
  }

  /** An SSE data payload went to the client. */
  forwardedData(data: string): void {
    if (this.forwardedChars + data.length > FORWARDED_MAX_CHARS) return;
    this.forwarded.push(data);
    this.forwardedChars += data.length;
  }

  /**
   * The client's socket closed. Before an answer was sent, that is the end of the call (499); while an
   * upstream request is under way, it is aborted (a stream then ends through the exchange).
   */
  clientClosed(answerSent: boolean, statusCode: number, reason: Error): void {
    if (!this.recorded && !this.streaming) this.end(answerSent ? statusCode : 499);
    if (this.upstreamPending && !answerSent) {
      this.clientGone = true;
      this.upstream?.abort(reason);
    }
  }

  /** fastify sent the response (not called for a hijacked stream). */
  responded(statusCode: number): void {
    if (!this.recorded && !this.streaming) this.end(statusCode);
  }

  /** The call is over with this status: records it (once). */
  end(status: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.status = status;
    if (status >= 400 && !this.errorType)
      this.errorType = status === 499 ? "client_aborted" : "upstream_error";
    if (this.streaming && this.usage.source !== "provider") {
      // Every streamed call is billed: without the provider's usage (cut, cancelled, or a provider that
      // sends none), count what was asked and what was forwarded. Recorded once the count is done.
      const payloads = this.forwarded;
      this.forwarded = [];
      loadTokenizer()
        .then((tk) => {
          this.usage = estimateUsage(tk, this.requestBody, payloads);
        })
        .catch(() => {
          // no tokenizer: the trace still goes out, with the zero usage it has
        })
        .finally(() => this.recorder.record(this));
      return;
    }
    this.forwarded = [];
    this.recorder.record(this);
  }
}
