/**
 * The router's limits: how many calls run at once (with a bounded, time-limited queue in front), and
 * requests and tokens per minute, per tenant and per deployment.
 */
import { ConfigError } from "@llmops/shared";
import { BucketWindow } from "./window.ts";

export interface GateOptions {
  maxConcurrent: number;
  /** Calls that may wait for a slot; beyond it a call is refused at once. */
  queueMax: number;
  /** How long a queued call waits for a slot before it is refused. */
  queueTimeoutMs: number;
}

export type Refusal = "queue_full" | "queue_timeout";

/**
 * MAX_CONCURRENT_REQUESTS as a gate: a call takes a slot or waits in a FIFO queue; a full queue or a
 * wait past the timeout is a refusal the caller turns into 429 with Retry-After. A call whose caller
 * leaves while queued gives its place up.
 */
export class ConcurrencyGate {
  active = 0;
  private readonly queue: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(private readonly opts: GateOptions) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Resolves with the release function once a slot is held, or with the refusal. */
  async acquire(signal?: AbortSignal): Promise<(() => void) | Refusal> {
    if (this.active < this.opts.maxConcurrent) {
      this.active++;
      return this.releaser();
    }
    if (this.queue.length >= this.opts.queueMax) return "queue_full";
    return new Promise((resolve) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener("abort", leave);
          clearTimeout(entry.timer);
          resolve(this.releaser());
        },
        timer: setTimeout(() => {
          this.drop(entry);
          signal?.removeEventListener("abort", leave);
          resolve("queue_timeout");
        }, this.opts.queueTimeoutMs),
      };
      const leave = () => {
        this.drop(entry);
        clearTimeout(entry.timer);
        resolve("queue_timeout");
      };
      signal?.addEventListener("abort", leave, { once: true });
      this.queue.push(entry);
    });
  }

  private drop(entry: (typeof this.queue)[number]): void {
    const i = this.queue.indexOf(entry);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      // The slot passes straight to the next in line, so `active` never dips under a waiting queue.
      const next = this.queue.shift();
      if (next) next.grant();
      else this.active--;
    };
  }
}

export interface RateLimit {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

/** The one-minute sliding window: per-second buckets of requests and tokens. */
const BUCKET_MS = 1_000;
const BUCKETS = 60;
const REQUESTS = 0;
const TOKENS = 1;

/**
 * Requests and tokens per minute per key (a tenant, a deployment). Tokens are reserved from an estimate
 * before the call and settled to the real usage after it, so a burst of long prompts cannot all pass
 * before the first answer reports its size.
 */
export class RateLimiter {
  private readonly windows = new Map<string, BucketWindow>();

  constructor(private readonly now: () => number = Date.now) {}

  private window(key: string): BucketWindow {
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = new BucketWindow(BUCKETS, BUCKET_MS, 2, this.now)));
    return w;
  }

  private add(key: string, requests: number, tokens: number): void {
    const w = this.window(key);
    if (requests) w.add(REQUESTS, requests);
    if (tokens) w.add(TOKENS, tokens);
  }

  /**
   * Whether one more request fits under the limit (nothing is taken). `tokens` is asked for only when
   * a tpm limit applies: counting a prompt costs real CPU.
   */
  fits(key: string, limit: RateLimit, tokens: () => number): boolean {
    if (!limit.rpm && !limit.tpm) return true;
    const w = this.window(key);
    return (
      (!limit.rpm || w.sum(REQUESTS) + 1 <= limit.rpm) &&
      (!limit.tpm || w.sum(TOKENS) + tokens() <= limit.tpm)
    );
  }

  /** Takes one request and its tokens if they fit; otherwise how long until room opens up. */
  take(
    key: string,
    limit: RateLimit,
    tokens: () => number,
  ): { ok: true } | { ok: false; retryAfterMs: number } {
    if (!this.fits(key, limit, tokens)) return { ok: false, retryAfterMs: this.msUntilRoom(key) };
    if (limit.rpm || limit.tpm) this.add(key, 1, limit.tpm ? tokens() : 0);
    return { ok: true };
  }

  /** How long until the window of `key` has room again (at least a second: the window's grain). */
  msUntilRoom(key: string): number {
    return Math.max(BUCKET_MS, this.window(key).msUntilOldestLeaves());
  }

  /** Replaces the reservation with the real usage, when the answer reported it. */
  settle(key: string, limit: RateLimit, reserved: () => number, used: number | null): void {
    if (limit.tpm && used !== null) this.add(key, 0, used - reserved());
  }

  /** Gives a whole reservation back (a call refused further along never ran). */
  refund(key: string, limit: RateLimit, reserved: () => number): void {
    if (limit.rpm || limit.tpm) this.add(key, -1, limit.tpm ? -reserved() : 0);
  }
}

/** A tenant's limits; `countsTokens` when any tenant has a tpm (so prompts must be counted). */
export type TenantLimits = ((tenant: string) => RateLimit) & { countsTokens: boolean };

/**
 * TENANT_LIMITS: "tenant:rpm:tpm" entries, comma-separated; "*" is every tenant without its own entry;
 * an empty or 0 field means no limit of that kind ("acme:600:1000000,*:60:").
 */
export function parseTenantLimits(text: string): TenantLimits {
  const limits = new Map<string, RateLimit>();
  const problems: string[] = [];
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [tenant, rpm = "", tpm = "", ...rest] = entry.split(":");
    const num = (v: string) => (v === "" ? 0 : Number(v));
    if (!tenant || rest.length || ![rpm, tpm].every((v) => Number.isInteger(num(v)) && num(v) >= 0)) {
      problems.push(
        `TENANT_LIMITS: "${entry}" is not tenant:rpm:tpm (whole numbers, 0 or empty for no limit)`,
      );
      continue;
    }
    limits.set(tenant, { rpm: num(rpm) || undefined, tpm: num(tpm) || undefined });
  }
  if (problems.length) throw new ConfigError(problems);
  const fallback = limits.get("*") ?? {};
  return Object.assign((tenant: string) => limits.get(tenant) ?? fallback, {
    countsTokens: [...limits.values()].some((l) => l.tpm !== undefined),
  });
}
