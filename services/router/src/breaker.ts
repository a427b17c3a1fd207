/**
 * A circuit breaker per deployment. It opens on the failure rate over a rolling window, and only once
 * the window holds enough requests (three failures out of three calls at night are not an outage), or
 * at once when the deployment itself asked for a pause (429 with Retry-After). Open, it waits out its
 * cooldown; a failure meanwhile extends the cooldown to the later deadline, never shortens it. Then it
 * is half-open: one probe at a time, whose success closes it and whose failure opens it again.
 * Only the deployment's own failures count: client errors and callers that leave are never recorded.
 */

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** The rolling window the failure rate is taken over. */
  windowMs: number;
  /** Fewer requests than this in the window never open the breaker on their rate. */
  minRequests: number;
  /** Failure fraction (0-1] at which it opens. */
  failureRate: number;
  /** How long it stays open when the deployment did not say (Retry-After). */
  cooldownMs: number;
}

import { BucketWindow } from "./window.ts";

const BUCKETS = 10;
const OK = 0;
const FAILED = 1;

export class Breaker {
  state: BreakerState = "closed";
  /** Epoch ms the open state lasts until (0 when closed). */
  until = 0;
  reason: string | null = null;
  /** Epoch ms until which the deployment asked not to be called (Retry-After); 0 = it did not ask. */
  pausedUntil = 0;
  /** Epoch ms of the latest failure (0 = never): when all are open, the least recently failed is tried. */
  lastFailureAt = 0;
  private probing = false;
  private readonly outcomes: BucketWindow;

  constructor(
    private readonly opts: BreakerOptions,
    private readonly now: () => number,
  ) {
    this.outcomes = new BucketWindow(BUCKETS, opts.windowMs / BUCKETS, 2, now);
  }

  /** Whether a request may be sent now; a half-open breaker lets one probe through at a time. */
  admits(): boolean {
    this.tick();
    if (this.state === "closed") return true;
    if (this.state === "open") return false;
    return !this.probing;
  }

  /** Marks the start of an attempt (a half-open breaker's probe is then taken). */
  attempt(): void {
    this.tick();
    if (this.state === "half-open") this.probing = true;
  }

  success(): void {
    this.outcomes.add(OK, 1);
    if (this.state !== "closed") this.close();
  }

  /** The deployment failed; `retryAfterMs` is what it asked for, and opens the breaker regardless of rate. */
  failure(reason: string, retryAfterMs?: number): void {
    this.outcomes.add(FAILED, 1);
    const now = this.now();
    this.lastFailureAt = now;
    this.probing = false;
    const { requests, failures } = this.window();
    const tripped = requests >= this.opts.minRequests && failures / requests >= this.opts.failureRate;
    if (retryAfterMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    if (retryAfterMs !== undefined || tripped || this.state !== "closed") {
      this.state = "open";
      this.until = Math.max(this.until, now + (retryAfterMs ?? this.opts.cooldownMs));
      this.reason = reason;
    }
  }

  /** A probe that ended without a verdict (the caller left, a client error) frees the probe slot. */
  release(): void {
    this.probing = false;
  }

  /** Requests and failures in the rolling window. */
  window(): { requests: number; failures: number } {
    const failures = this.outcomes.sum(FAILED);
    return { requests: this.outcomes.sum(OK) + failures, failures };
  }

  /** Tells the breaker how it stands now: an open breaker whose cooldown ran out is half-open. */
  tick(): BreakerState {
    if (this.state === "open" && this.now() >= this.until) this.state = "half-open";
    return this.state;
  }

  private close(): void {
    this.state = "closed";
    this.until = 0;
    this.pausedUntil = 0;
    this.reason = null;
    this.probing = false;
  }
}
