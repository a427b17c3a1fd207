/**
 * One routed chat completion and everything learned while routing it. The dispatcher and the
 * transports (HTTP, WebSocket) report to it; the metrics and the response headers are read from it
 * once, at the end, so no module has to call back into another.
 */
import type { TraceParent } from "@llmops/shared";
import type { Deployment, ModelGroup } from "./catalogue.ts";
import { PromptSize } from "./tokens.ts";

export type CacheResult = "HIT" | "MISS" | "BYPASS";

export class RouterCall {
  readonly prompt: PromptSize;
  /** Attempts at deployments (retries and failovers included). */
  attempts = 0;
  retries = 0;
  failovers = 0;
  /** The deployment whose answer went to the caller (null: none did). */
  answeredBy: Deployment | null = null;
  /** The deployment chosen first (the routing decision). */
  firstChoice: Deployment | null = null;
  status = 0;
  cache: CacheResult | null = null;
  /** Tokens the answer reported (prompt + completion), when it did. */
  usedTokens: number | null = null;
  /** The caller left: nothing more is sent and nothing is counted against a deployment. */
  gone = false;
  /** Where the attempts' spans hang (the request's span); undefined when tracing is off. */
  parent: TraceParent | undefined = undefined;

  constructor(
    readonly group: ModelGroup,
    readonly tenant: string,
    readonly body: Record<string, unknown>,
    readonly stream: boolean,
    /** Epoch ms by which the call must have an answer, across every attempt. */
    readonly deadline: number,
    readonly signal: AbortSignal,
  ) {
    this.prompt = new PromptSize(body);
  }

  /** Tokens reserved against tpm limits before the call: the prompt plus the output it allows (counted once, when a limit asks). */
  readonly estimatedTokens = (): number => this.prompt.tokens + this.prompt.maxOutput;

  attempted(d: Deployment, retry: boolean): void {
    this.attempts++;
    if (!this.firstChoice) this.firstChoice = d;
    else if (retry) this.retries++;
    else this.failovers++;
  }

  /** Headers every completion carries. */
  headers(): Record<string, string> {
    const h: Record<string, string> = { "x-router-attempts": String(this.attempts) };
    if (this.answeredBy) h["x-llm-provider"] = this.answeredBy.provider;
    if (this.cache) h["x-cache"] = this.cache;
    return h;
  }
}
