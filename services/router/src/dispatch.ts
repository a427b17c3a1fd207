/**
 * Routing one call: the candidates (the group's available deployments in strategy order, then each
 * fallback group's), attempts with retries, failover, and the last resort. A transport (HTTP or
 * WebSocket) hands in a Sink and gets the answer, the stream, or an ApiError thrown before any byte.
 *
 * Retried: connect errors, attempt timeouts, 429 and 5xx, on the same deployment with capped
 * exponential backoff and full jitter while its breaker admits calls, then on the next. A deployment
 * that asks for a pause (Retry-After) is not called again before it ends. Never retried: other 4xx,
 * budget_exceeded, a caller that left. A stream fails over only before its first byte.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { errors } from "@llmops/shared";
import type { Balancer } from "./balancer.ts";
import type { RouterCall } from "./call.ts";
import type { Catalogue, Deployment, ModelGroup } from "./catalogue.ts";
import type { RateLimiter } from "./limits.ts";
import type { RouterMetrics } from "./metrics.ts";
import { reportedTokens } from "./tokens.ts";
import type { ProxyResponse, TraceProxyClient } from "./upstream.ts";

export interface Sink {
  /** A whole answer: a completion, or an error status the caller gets as it is. */
  answer(status: number, headers: Record<string, string>, body: Buffer): void;
  /** Relays a stream; `firstByte` is called when its first bytes arrive. */
  relay(
    res: ProxyResponse,
    headers: Record<string, string>,
    firstByte: () => void,
  ): Promise<{ sent: boolean; completed: boolean; usedTokens: number | null }>;
}

export interface RetryPolicy {
  /** Further attempts at the same deployment after a retryable failure. */
  retries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** One attempt's wait for the response headers (the overall deadline still applies). */
  attemptTimeoutMs: number;
}

export interface DispatchDeps {
  catalogue: Catalogue;
  balancer: Balancer;
  proxy: TraceProxyClient;
  /** Deployment rpm/tpm (keys are deployment ids). */
  limiter: RateLimiter;
  metrics: RouterMetrics;
  retry: RetryPolicy;
  random?: () => number;
}

/** Statuses worth another attempt: rate limited, or the server side failed. */
const retryable = (status: number) => status === 429 || status >= 500;

type Attempt =
  | { kind: "answered" }
  | { kind: "gone" }
  | { kind: "deadline" }
  | { kind: "at-limit" }
  | {
      kind: "failed";
      status: number | null;
      body?: Buffer;
      headers?: Record<string, string>;
      paused: boolean;
    };

export class Dispatcher {
  private readonly random: () => number;
  constructor(private readonly deps: DispatchDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** The group chain a call may use: the group, then its fallbacks (each group once). */
  private chain(group: ModelGroup): ModelGroup[] {
    const out = [group];
    for (const f of group.fallbacks) {
      const g = this.deps.catalogue.groups.get(f)!;
      if (!out.includes(g)) out.push(g);
    }
    return out;
  }

  /** Candidates in the order to try them, and the last resort when none is available. */
  plan(call: RouterCall): {
    candidates: Deployment[];
    lastResort: Deployment | null;
    limited: Deployment[];
    /** Epoch ms when the first pause of an unavailable deployment ends (0 = none paused). */
    pauseEndsAt: number;
  } {
    const { balancer, limiter } = this.deps;
    const seen = new Set<string>();
    const candidates: Deployment[] = [];
    const unavailable: Deployment[] = [];
    const limited: Deployment[] = [];
    let fitting = 0;
    for (const g of this.chain(call.group)) {
      const usable: Deployment[] = [];
      for (const d of g.deployments) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        if (!call.prompt.fits(d.contextWindow)) continue;
        fitting++;
        if (!limiter.fits(d.id, d, call.estimatedTokens)) {
          limited.push(d);
          continue;
        }
        (balancer.available(d) ? usable : unavailable).push(d);
      }
      candidates.push(...balancer.rank(usable, call.stream, g.strategy));
    }
    if (fitting === 0) {
      throw errors.badRequest(
        `The prompt (${call.prompt.tokens} tokens${call.prompt.maxOutput ? ` plus max ${call.prompt.maxOutput} output` : ""}) does not fit the context window of any deployment of "${call.group.name}" or its fallbacks`,
        "context_length_exceeded",
      );
    }
    // Every deployment is open or cooled down: still try the one that failed least recently, unless
    // it asked for a pause that outlasts the caller's deadline. Never an instant outage.
    const lastResort =
      unavailable
        .filter((d) => balancer.of(d).breaker.pausedUntil <= call.deadline)
        .sort((a, b) => balancer.of(a).breaker.lastFailureAt - balancer.of(b).breaker.lastFailureAt)[0] ??
      null;
    // When all that is left asked to pause: the earliest end of those pauses (never a deployment
    // that did not pause, which would make Retry-After say "now").
    const pauses = unavailable.map((d) => balancer.of(d).breaker.pausedUntil).filter((t) => t > Date.now());
    const pauseEndsAt = pauses.length ? Math.min(...pauses) : 0;
    return { candidates, lastResort, limited, pauseEndsAt };
  }

  async dispatch(call: RouterCall, sink: Sink): Promise<void> {
    const { candidates, lastResort, limited, pauseEndsAt } = this.plan(call);
    let last: Extract<Attempt, { kind: "failed" }> | null = null;
    const tryDeployment = async (d: Deployment): Promise<"stop" | "next"> => {
      for (let n = 0; n <= this.deps.retry.retries; n++) {
        if (n > 0) {
          if (!this.deps.balancer.available(d)) return "next";
          const wait = this.backoff(n);
          if (Date.now() + wait >= call.deadline) return "next";
          if (!(await pause(wait, call.signal))) {
            call.gone = true;
            return "stop";
          }
        }
        const r = await this.attempt(call, d, sink, n > 0);
        if (r.kind === "at-limit") {
          limited.push(d);
          return "next";
        }
        if (r.kind !== "failed") return "stop";
        last = r;
        if (r.paused) return "next";
      }
      return "next";
    };
    for (const d of candidates) if ((await tryDeployment(d)) === "stop") return this.finish(call);
    if (lastResort && !call.gone && Date.now() < call.deadline) {
      // Honour its Retry-After: wait for the pause to end (it ends before the deadline, see plan()).
      const wait = this.deps.balancer.of(lastResort).breaker.pausedUntil - Date.now();
      if (wait > 0 && !(await pause(wait, call.signal))) {
        call.gone = true;
        return;
      }
      const r = await this.attempt(call, lastResort, sink, false);
      if (r.kind === "failed") last = r;
      else if (r.kind === "at-limit") limited.push(lastResort);
      else return this.finish(call);
    }
    if (call.gone) return;
    if (Date.now() >= call.deadline) throw this.timeout(call);
    const failed = last as Extract<Attempt, { kind: "failed" }> | null;
    if (failed?.status && failed.body) {
      call.status = failed.status;
      sink.answer(failed.status, { ...failed.headers, ...call.headers() }, failed.body);
      return;
    }
    if (!call.attempts && limited.length)
      throw errors.rateLimited(
        `Every deployment of "${call.group.name}" is at its rate limit`,
        Math.min(...limited.map((d) => this.deps.limiter.msUntilRoom(d.id))),
        "deployments_at_limit",
      );
    if (!call.attempts) {
      throw errors.unavailable(
        `Every deployment of "${call.group.name}" asked to pause beyond this call's deadline`,
        "all_deployments_paused",
        Math.max(0, pauseEndsAt - Date.now()),
      );
    }
    throw errors.badGateway(
      `Every deployment of "${call.group.name}" failed (${call.attempts} attempts)`,
      "all_deployments_failed",
    );
  }

  private finish(call: RouterCall): void {
    if (!call.gone && !call.answeredBy && call.status === 0 && Date.now() >= call.deadline)
      throw this.timeout(call);
  }

  private timeout(call: RouterCall) {
    return errors.timeout(
      `No deployment of "${call.group.name}" answered within the call's deadline (${call.attempts} attempts)`,
    );
  }

  /** Full jitter over a capped exponential: spreads retries of many callers hitting one failure. */
  private backoff(n: number): number {
    const { backoffBaseMs, backoffCapMs } = this.deps.retry;
    return this.random() * Math.min(backoffCapMs, backoffBaseMs * 2 ** (n - 1));
  }

  private async attempt(call: RouterCall, d: Deployment, sink: Sink, retry: boolean): Promise<Attempt> {
    const { balancer, limiter, metrics, proxy } = this.deps;
    const reserved = call.estimatedTokens;
    if (!limiter.take(d.id, d, reserved).ok) return { kind: "at-limit" };
    call.attempted(d, retry);
    if (retry) metrics.retries.inc({ model: call.group.name, provider: d.provider });
    else if (call.attempts > 1) metrics.failovers.inc({ model: call.group.name });
    else
      metrics.decisions.inc({ model: call.group.name, provider: d.provider, strategy: call.group.strategy });
    balancer.started(d);
    const outcome = (o: string) =>
      metrics.attempts.inc({ model: call.group.name, provider: d.provider, outcome: o });
    const t0 = performance.now();
    const timeoutMs = Math.max(1, Math.min(this.deps.retry.attemptTimeoutMs, call.deadline - Date.now()));
    let res: ProxyResponse | undefined;
    let body: Buffer | undefined;
    try {
      res = await proxy.send(
        d,
        call.tenant,
        { ...call.body, model: d.model },
        timeoutMs,
        call.signal,
        call.parent,
      );
      if (call.stream && res.status === 200 && res.contentType.includes("text/event-stream")) {
        call.answeredBy = d;
        call.status = 200;
        const relayed = await sink.relay(res, call.headers(), () =>
          balancer.succeeded(d, { ttftMs: performance.now() - t0 }),
        );
        if (!relayed.sent) balancer.released(d);
        call.usedTokens = relayed.usedTokens;
        limiter.settle(d.id, d, reserved, relayed.usedTokens);
        outcome(relayed.completed ? "ok" : "stream_cut");
        return { kind: "answered" };
      }
      body = await res.buffer();
    } catch (err) {
      if (call.signal.aborted) {
        call.gone = true;
        balancer.released(d);
        limiter.refund(d.id, d, reserved);
        outcome("caller_left");
        return { kind: "gone" };
      }
      if (Date.now() >= call.deadline) {
        // The caller's deadline, not the deployment's failure: it does not count against its breaker.
        balancer.released(d);
        outcome("deadline");
        return { kind: "deadline" };
      }
      balancer.failed(d, `unreachable: ${(err as Error).message}`);
      outcome("error");
      return { kind: "failed", status: null, paused: false };
    }
    const code = errorCode(res.status, body);
    if (res.status < 400 || !retryable(res.status) || code === "budget_exceeded") {
      // An answer, a client error or a budget refusal: the deployment is not at fault, never retried.
      if (res.status < 400) {
        balancer.succeeded(d, { latencyMs: performance.now() - t0 });
        call.usedTokens = reportedTokens(body.subarray(Math.max(0, body.length - 4096)).toString("utf8"));
        limiter.settle(d.id, d, reserved, call.usedTokens);
      } else {
        balancer.released(d);
        limiter.refund(d.id, d, reserved);
      }
      call.answeredBy = d;
      call.status = res.status;
      outcome(String(res.status));
      sink.answer(res.status, { ...res.headers, ...call.headers() }, body);
      return { kind: "answered" };
    }
    balancer.failed(d, `status ${res.status}${code ? ` (${code})` : ""}`, res.retryAfterMs);
    outcome(String(res.status));
    return {
      kind: "failed",
      status: res.status,
      body,
      headers: res.headers,
      paused: res.retryAfterMs !== undefined,
    };
  }
}

/** Waits, unless the caller leaves first (false). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function errorCode(status: number, body: Buffer): string | null {
  if (status < 400) return null;
  try {
    const code = JSON.parse(body.toString("utf8"))?.error?.code;
    return typeof code === "string" ? code : null;
  } catch {
    return null;
  }
}
