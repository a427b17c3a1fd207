import type { Dispatcher } from "undici";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/** Everything known about one call; becomes the llm.traces event when it is recorded. */
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
  /** The response is streamed by us (hijacked): it is recorded when the stream ends, not by fastify. */
  streaming: boolean;
  recorded: boolean;
  /** An upstream request was dispatched and has not ended yet. */
  upstreamPending: boolean;
  /** Its controller once it is on a connection (undici calls onRequestStart then); aborts it. */
  upstream: Dispatcher.DispatchController | null;
  /** The client went away before we finished answering. */
  clientGone: boolean;
}

const count = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);

/** Usage in OpenAI chat/completions, Responses API and Anthropic-compatible shapes. */
export function readUsage(u: any, into: Usage): void {
  if (!u || typeof u !== "object") return;
  into.inputTokens = count(u.prompt_tokens ?? u.input_tokens);
  into.outputTokens = count(u.completion_tokens ?? u.output_tokens);
  into.cachedInputTokens = count(
    u.prompt_tokens_details?.cached_tokens ??
      u.input_tokens_details?.cached_tokens ??
      u.cache_read_input_tokens,
  );
}
